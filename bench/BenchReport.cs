using System.Text.Json;
using System.Text.Json.Serialization;

namespace Adapters.Bench;

/// <summary>Everything one `adapters bench` run measured (written as bench.json).</summary>
public sealed record BenchReport
{
    [JsonPropertyName("machine")] public required MachineInfo Machine { get; init; }
    [JsonPropertyName("settings")] public required BenchSettings Settings { get; init; }
    [JsonPropertyName("variants")] public required IReadOnlyList<VariantResult> Variants { get; init; }
    /// <summary>Adapter load and hot-swap latencies; null when the run had no exported adapter (an exported folder without any).</summary>
    [JsonPropertyName("hot_swap")] public SwapResult? HotSwap { get; init; }
    /// <summary>The ratios the issue asks for, by name (null when a variant was not run).</summary>
    [JsonPropertyName("headline")] public required IReadOnlyDictionary<string, double?> Headline { get; init; }
    [JsonPropertyName("targets")] public required IReadOnlyList<TargetResult> Targets { get; init; }
    [JsonPropertyName("wall_seconds")] public double WallSeconds { get; init; }

    public static readonly JsonSerializerOptions Json = new() { WriteIndented = true, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public VariantResult? Find(string engine, string name, int batch) =>
        Variants.FirstOrDefault(v => v.Engine == engine && v.Name == name && v.Batch == batch);
}
