using System.Globalization;
using System.Text;

namespace Adapters.Bench;

/// <summary>The report as markdown: settings, one row per variant and batch size, targets.</summary>
public static class BenchTable
{
    public static string ToMarkdown(BenchReport report)
    {
        var m = report.Machine;
        var s = report.Settings;
        var sb = new StringBuilder();
        // ", R × (batch N)" for a headline ratio at the full batch, or nothing when the run had one batch size.
        string AtFullBatch(string key) => s.BatchSizes.Max() == s.BatchSizes.Min() ? "" : $", {R(report.Headline.GetValueOrDefault(key))} × (batch {s.BatchSizes.Max()})";
        sb.AppendLine($"shape {s.Shape} ({s.Family}, {s.Parameters:N0} parameters: dim {s.Dim}, head_dim {s.HeadDim}, {s.Layers} layers, vocab {s.Vocab}), prompt {s.PromptTokens} tokens, {s.Steps} decode steps × {s.Rounds} rounds, batch sizes {string.Join("/", s.BatchSizes)}");
        sb.AppendLine($"{m.Os}, {m.LogicalCores} cores, {m.DotNet}, onnxruntime {m.OnnxRuntimeVersion} ({m.Provider}, {m.IntraOpThreads} intra-op threads), GenAI {m.GenAiVersion} ({m.GenAiProvider}); load average {F(m.LoadAverageStart)} → {F(m.LoadAverageEnd)}; {report.WallSeconds:F0} s");
        sb.AppendLine();
        sb.AppendLine("| engine | variant | batch | TTFT p50 ms | decode p50 ms | p90 ms | p99 ms | tokens/s | decode overhead (p50 / base) | paired by round | throughput overhead (base / variant) |");
        sb.AppendLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var v in report.Variants.OrderBy(v => v.Batch).ThenBy(v => v.Engine == BenchEngines.Ours ? 0 : 1))
            sb.AppendLine($"| {v.Engine} | {v.Name} | {v.Batch} | {F(v.TimeToFirstToken.P50Ms)} | {F(v.DecodeStep.P50Ms)} | {F(v.DecodeStep.P90Ms)} | {F(v.DecodeStep.P99Ms)} | {v.TokensPerSecond:F1} | {R(v.DecodeOverhead)} | {R(v.DecodeOverheadPaired)} | {R(v.ThroughputOverhead)} |");
        sb.AppendLine();
        if (s.Compressed is not null)
        {
            var hl = report.Headline;
            sb.AppendLine($"compressed {s.Compressed}: decode p50 {R(hl.GetValueOrDefault("compressed_decode_ratio"))} × base, prefill {R(hl.GetValueOrDefault("compressed_prefill_ratio"))} × base (batch {report.Settings.BatchSizes.Min()}); "
                + $"parameters {R(hl.GetValueOrDefault("compressed_parameter_ratio"))} × base, projections {R(hl.GetValueOrDefault("compressed_projection_parameter_ratio"))} × base");
            sb.AppendLine();
        }
        if (s.CompareWith is not null)
        {
            var hl = report.Headline;
            string genAi = hl.GetValueOrDefault("genai_compared_export_decode_ratio") is { } g ? $"; GenAI {R(g)} × on the same two folders" : "";
            sb.AppendLine($"compared export {s.CompareWith}: decode p50 {R(hl.GetValueOrDefault("compared_export_decode_ratio"))} × this folder's (batch {s.BatchSizes.Min()}){AtFullBatch("compared_export_decode_ratio_full_batch")}{genAi} "
                + "(paired by round; < 1 = the compared export is faster)");
            sb.AppendLine();
        }
        if (s.LlamaCpp)
        {
            var hl = report.Headline;
            sb.AppendLine($"llama.cpp (LLamaSharp {m.LlamaSharpVersion}, batch 1, same weights as GGUF) decode ms/token p50 over our fp32 base: F32 {R(hl.GetValueOrDefault("llamacpp_f32_vs_ours_base_decode_ms"))}, "
                + $"Q8_0 {R(hl.GetValueOrDefault("llamacpp_q8_0_vs_ours_base_decode_ms"))}, Q4_0 {R(hl.GetValueOrDefault("llamacpp_q4_0_vs_ours_base_decode_ms"))} (< 1 = llama.cpp faster); "
                + $"its LoRA r=8 costs {R(hl.GetValueOrDefault("llamacpp_lora_r8_f32_decode_overhead"))} × on F32, {R(hl.GetValueOrDefault("llamacpp_lora_r8_q4_0_decode_overhead"))} × on Q4_0 "
                + $"(ours: swappable LoRA r=8 {R(hl.GetValueOrDefault("swappable_lora_r8_decode_overhead"))} × on fp32)"
                + (s.LlamaCppQuantizedSkipped is { } why ? $"; Q8_0/Q4_0 not run: {why}" : ""));
            sb.AppendLine();
        }
        if (s.Quantized)
        {
            var hl = report.Headline;
            sb.AppendLine($"precision (batch 1, decode ms/token p50, ratios paired by round): ours int8 {R(hl.GetValueOrDefault("int8_vs_fp32_decode"))} × our fp32, int4 {R(hl.GetValueOrDefault("int4_vs_fp32_decode"))} × (classifier {(s.QuantizationClassifierBits is { } cb ? $"int{cb}" : "fp32")} in both); "
                + $"our tokens/s over llama.cpp's: fp32/F32 {R(hl.GetValueOrDefault("ours_fp32_vs_llamacpp_f32_tokens_per_second"))}, int8/Q8_0 {R(hl.GetValueOrDefault("ours_int8_vs_llamacpp_q8_0_tokens_per_second"))}, "
                + $"int4/Q4_0 {R(hl.GetValueOrDefault("ours_int4_vs_llamacpp_q4_0_tokens_per_second"))} (>= 1 = ours at least as fast; MatMulNBits block {s.QuantizationBlockSize}, accuracy level {s.QuantizationAccuracyLevel}); "
                + $"LoRA r=8 costs {R(hl.GetValueOrDefault("int4_swappable_lora_r8_decode_overhead"))} × on our int4 (swappable), {R(hl.GetValueOrDefault("llamacpp_lora_r8_q4_0_decode_overhead"))} × on llama.cpp Q4_0");
            sb.AppendLine();
        }
        if (s.LlamaCppSkipped is { } skipped)
        {
            sb.AppendLine($"llama.cpp not run: {skipped}");
            sb.AppendLine();
        }
        if (report.HotSwap is { } h)
            sb.AppendLine($"adapter {h.Adapter} ({h.AdapterBytes:N0} bytes): load p50 {F(h.Load.P50Ms)} ms / p99 {F(h.Load.P99Ms)} ms; hot swap (Replace) p50 {F(h.Replace.P50Ms)} ms / p99 {F(h.Replace.P99Ms)} ms over {h.Replace.Count}");
        else sb.AppendLine("hot swap: not run (the folder has no exported adapter)");
        sb.AppendLine();
        if (report.Headline.GetValueOrDefault("control_decode_ratio") is { } control)
        {
            sb.AppendLine($"resolution: a second session of the base decodes at {R(control)} × base (batch {s.BatchSizes.Min()}){AtFullBatch("control_decode_ratio_full_batch")}; ratios closer to 1 than that are within this run's noise");
            sb.AppendLine();
        }
        var headline = report.Headline;
        if (headline.GetValueOrDefault("ours_base_decode_p90_over_p50") is not null)
        {
            string Tail(string prefix) => $"{R(headline.GetValueOrDefault($"{prefix}_decode_p90_over_p50"))} / {R(headline.GetValueOrDefault($"{prefix}_decode_p99_over_p50"))} "
                + $"(within rounds {R(headline.GetValueOrDefault($"{prefix}_decode_p90_over_p50_within_rounds"))})";
            sb.AppendLine($"batch-{s.BatchSizes.Min()} decode tails, p90/p50 / p99/p50 over all steps (within rounds: the median of each round's p90/p50, which leaves out the machine's drift between rounds): "
                + $"ours {Tail("ours_base")}, control {Tail("control")}"
                + (headline.GetValueOrDefault("genai_base_decode_p90_over_p50") is null ? "" : $", GenAI {Tail("genai_base")}"));
            sb.AppendLine();
        }
        // A ratio is only as good as the run's resolution: print identical work's figure beside each,
        // so a target "missed" by less than the noise reads as such.
        sb.AppendLine("| target | value | limit | met | resolution (control) |");
        sb.AppendLine("| --- | ---: | ---: | --- | ---: |");
        foreach (var t in report.Targets)
        {
            string met = t.Met is { } ok ? ok ? "yes" : t.MissWithinNoise ? "NO (within noise)" : "NO" : "n/a";
            sb.AppendLine($"| {t.Name} | {R(t.Value)} | {t.Comparison} {t.Limit.ToString(CultureInfo.InvariantCulture)} | {met} | {R(t.Resolution)} |");
        }
        sb.AppendLine();
        sb.AppendLine("resolution (control): a second session of the base, timed in the same rounds; beside a decode ratio its decode ratio to the base (noise: its distance from 1), "
            + "beside a tail ratio its own tail ratio (noise: its distance from the base's). A miss by no more than the noise is marked within noise.");
        return sb.ToString();
    }

    static string F(double? value) => value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "–";
    static string R(double? value) => value is { } v ? v.ToString("F3", CultureInfo.InvariantCulture) : "–";
}
