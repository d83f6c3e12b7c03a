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
    /// <summary>
    /// What identical work gave in the same run (a second session of the base): for a ratio of two
    /// decode timings, its decode ratio to the base; for a tail ratio, its own tail ratio. Null where
    /// the run has no such figure.
    /// </summary>
    [JsonPropertyName("resolution")] public double? Resolution { get; init; }
    /// <summary>Missed, but by no more than identical work differed from itself in this run (|value − limit| ≤ the noise).</summary>
    [JsonPropertyName("miss_within_noise")] public bool MissWithinNoise { get; init; }

    public static TargetResult AtMost(string name, double? value, double limit) =>
        new() { Name = name, Value = value, Comparison = "<=", Limit = limit, Met = value is { } v ? v <= limit : null };

    /// <summary>This target with the run's resolution beside it; <paramref name="noise"/> is how far identical work landed from itself.</summary>
    public TargetResult WithResolution(double? resolution, double? noise) => this with
    {
        Resolution = resolution,
        MissWithinNoise = Met == false && noise is { } n && Value is { } v && Math.Abs(v - Limit) <= n,
    };

    public static TargetResult AtLeast(string name, double? value, double limit) =>
        new() { Name = name, Value = value, Comparison = ">=", Limit = limit, Met = value is { } v ? v >= limit : null };
}
