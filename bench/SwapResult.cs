using System.Text.Json.Serialization;

namespace Adapters.Bench;

/// <summary>Adapter registry latencies: Load of a new name, and Replace of a registered name (hot swap).</summary>
public sealed record SwapResult
{
    [JsonPropertyName("adapter")] public required string Adapter { get; init; }
    [JsonPropertyName("adapter_bytes")] public long AdapterBytes { get; init; }
    [JsonPropertyName("load")] public required LatencyStats Load { get; init; }
    [JsonPropertyName("replace")] public required LatencyStats Replace { get; init; }
}
