using System.Text.Json.Serialization;

namespace Adapters.Bench;

/// <summary>Figures of one variant at one batch size; ratios are against the same engine's base at the same batch size, from the same run.</summary>
public sealed record VariantResult
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    [JsonPropertyName("engine")] public required string Engine { get; init; }
    [JsonPropertyName("kind")] public required string Kind { get; init; }
    [JsonPropertyName("lora_rank")] public int LoraRank { get; init; }
    [JsonPropertyName("distinct_adapters")] public int DistinctAdapters { get; init; }
    [JsonPropertyName("batch")] public int Batch { get; init; }
    [JsonPropertyName("generations")] public int Generations { get; init; }
    [JsonPropertyName("time_to_first_token")] public required LatencyStats TimeToFirstToken { get; init; }
    /// <summary>Per decode step (one token per row): forward plus sampling.</summary>
    [JsonPropertyName("decode_step")] public required LatencyStats DecodeStep { get; init; }
    /// <summary>Generated tokens per second over decode steps, all rows counted.</summary>
    [JsonPropertyName("tokens_per_second")] public double TokensPerSecond { get; init; }
    /// <summary>Median decode step / the base's median decode step (1.05 = 5 % slower).</summary>
    [JsonPropertyName("decode_overhead")] public double? DecodeOverhead { get; init; }
    /// <summary>
    /// Median over rounds of (this round's median decode step / the base's in the same round):
    /// each ratio compares runs seconds apart, so slow drift of a shared machine cancels. The
    /// headline and targets use this one.
    /// </summary>
    [JsonPropertyName("decode_overhead_paired")] public double? DecodeOverheadPaired { get; init; }
    /// <summary>This variant's median decode step in each timed round, in round order (what paired ratios divide).</summary>
    [JsonPropertyName("round_decode_p50_ms")] public IReadOnlyList<double> RoundDecodeP50s { get; init; } = [];
    /// <summary>
    /// Median over rounds of each round's decode p90 / p50: the step-to-step tail of one generation,
    /// without the drift of a shared machine between rounds that the p90 over all steps also holds.
    /// </summary>
    [JsonPropertyName("decode_p90_over_p50_within_rounds")] public double? DecodeP90OverP50WithinRounds { get; init; }
    /// <summary>Base tokens/s / this variant's tokens/s (mean-based companion of <see cref="DecodeOverhead"/>).</summary>
    [JsonPropertyName("throughput_overhead")] public double? ThroughputOverhead { get; init; }
    [JsonPropertyName("ttft_overhead")] public double? TimeToFirstTokenOverhead { get; init; }
}
