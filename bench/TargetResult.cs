using System.Text.Json.Serialization;

namespace Adapters.Bench;

/// <summary>One target of the issue, its measured value and whether it was met.</summary>
public sealed record TargetResult
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("value")] public double? Value { get; init; }
    /// <summary>"&lt;=" or "&gt;=".</summary>
    [JsonPropertyName("comparison")] public required string Comparison { get; init; }
    [JsonPropertyName("limit")] public double Limit { get; init; }
    [JsonPropertyName("met")] public bool? Met { get; init; }

    public static TargetResult AtMost(string name, double? value, double limit) =>
        new() { Name = name, Value = value, Comparison = "<=", Limit = limit, Met = value is { } v ? v <= limit : null };

    public static TargetResult AtLeast(string name, double? value, double limit) =>
        new() { Name = name, Value = value, Comparison = ">=", Limit = limit, Met = value is { } v ? v >= limit : null };
}
