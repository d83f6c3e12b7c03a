namespace Adapters.Bench;

/// <summary>The targets, checked against the headline ratios.</summary>
public static class BenchTargets
{
    /// <summary>Swappable LoRA r=8 may cost at most 5 % per decoded token over the base.</summary>
    public const double MaxLoraDecodeOverhead = 1.05;

    /// <summary>LoReFT edits prompt positions only, so decoding should cost (almost) nothing extra: 2 %.</summary>
    public const double MaxReftDecodeOverhead = 1.02;

    /// <summary>A batch of 8 different adapters keeps at least 85 % of a one-adapter batch's throughput.</summary>
    public const double MinMixedBatchThroughput = 0.85;

    /// <summary>Hot swap (registry Replace) p99 in milliseconds.</summary>
    public const double MaxHotSwapP99Ms = 20;

    /// <summary>Our base decode is at least as fast as GenAI's on the same folder.</summary>
    public const double MinOursVsGenAi = 1.0;

    /// <summary>Batch-1 decode tail of our base: p90 within 1.5× and p99 within 3× of the median step.</summary>
    public const double MaxBaseP90OverP50 = 1.5;
    public const double MaxBaseP99OverP50 = 3.0;

    /// <summary>The compressed export decodes faster than the dense base it came from (n/a without --compressed).</summary>
    public const double MaxCompressedDecodeRatio = 1.0;

    /// <summary>At every precision our decode is at least as fast as llama.cpp's on the same weights (issue 15).</summary>
    public const double MinOursVsLlamaCpp = 1.0;

    public static IReadOnlyList<TargetResult> Evaluate(IReadOnlyDictionary<string, double?> headline)
    {
        // A second session of the base, timed in the same rounds: how far identical work lands from itself.
        double? control = headline.GetValueOrDefault("control_decode_ratio");
        TargetResult DecodeRatio(TargetResult t) => t.WithResolution(control, control is { } c ? Math.Abs(c - 1) : null);
        // A tail ratio's noise is how far the control's own tail lands from the base's.
        TargetResult Tail(TargetResult t, string controlKey)
        {
            double? controlTail = headline.GetValueOrDefault(controlKey);
            return t.WithResolution(controlTail, controlTail is { } c && t.Value is { } v ? Math.Abs(c - v) : null);
        }
        return
        [
            DecodeRatio(TargetResult.AtMost("swappable_lora_r8_decode_overhead", headline["swappable_lora_r8_decode_overhead"], MaxLoraDecodeOverhead)),
            DecodeRatio(TargetResult.AtMost("loreft_decode_overhead", headline["loreft_decode_overhead"], MaxReftDecodeOverhead)),
            TargetResult.AtLeast("mixed_vs_single_adapter_throughput", headline["mixed_vs_single_adapter_throughput"], MinMixedBatchThroughput),
            TargetResult.AtMost("hot_swap_p99_ms", headline["hot_swap_p99_ms"], MaxHotSwapP99Ms),
            DecodeRatio(TargetResult.AtLeast("ours_vs_genai_base_tokens_per_second", headline["ours_vs_genai_base_tokens_per_second"], MinOursVsGenAi)),
            Tail(TargetResult.AtMost("ours_base_decode_p90_over_p50", headline["ours_base_decode_p90_over_p50"], MaxBaseP90OverP50), "control_decode_p90_over_p50"),
            Tail(TargetResult.AtMost("ours_base_decode_p99_over_p50", headline["ours_base_decode_p99_over_p50"], MaxBaseP99OverP50), "control_decode_p99_over_p50"),
            DecodeRatio(TargetResult.AtMost("compressed_decode_ratio", headline["compressed_decode_ratio"], MaxCompressedDecodeRatio)),
            DecodeRatio(TargetResult.AtLeast("ours_fp32_vs_llamacpp_f32_tokens_per_second", headline["ours_fp32_vs_llamacpp_f32_tokens_per_second"], MinOursVsLlamaCpp)),
            DecodeRatio(TargetResult.AtLeast("ours_int8_vs_llamacpp_q8_0_tokens_per_second", headline["ours_int8_vs_llamacpp_q8_0_tokens_per_second"], MinOursVsLlamaCpp)),
            DecodeRatio(TargetResult.AtLeast("ours_int4_vs_llamacpp_q4_0_tokens_per_second", headline["ours_int4_vs_llamacpp_q4_0_tokens_per_second"], MinOursVsLlamaCpp)),
        ];
    }
}
