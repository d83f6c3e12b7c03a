using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Adapters.Bench.Quality;

/// <summary>What `adapters quant-eval` measured (quant_eval.json, and the markdown it prints).</summary>
public sealed record QuantEvalReport
{
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("text_files")] public required IReadOnlyList<string> TextFiles { get; init; }
    [JsonPropertyName("held_out_tokens")] public int HeldOutTokens { get; init; }
    [JsonPropertyName("greedy_tokens")] public int GreedyTokens { get; init; }
    [JsonPropertyName("block_size")] public int BlockSize { get; init; }
    [JsonPropertyName("accuracy_level")] public int AccuracyLevel { get; init; }
    [JsonPropertyName("classifier_bits")] public int? ClassifierBits { get; init; }
    [JsonPropertyName("adapter")] public string? Adapter { get; init; }
    [JsonPropertyName("adapter_examples")] public int AdapterExamples { get; init; }
    [JsonPropertyName("rows")] public required IReadOnlyList<QuantEvalRow> Rows { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, new JsonSerializerOptions { WriteIndented = true });

    public string ToMarkdown()
    {
        var sb = new StringBuilder();
        sb.AppendLine($"model {Model}; held-out {string.Join(", ", TextFiles.Select(Path.GetFileName))} ({HeldOutTokens} predicted tokens); greedy agreement over {GreedyTokens} tokens from BOS; "
            + $"MatMulNBits block {BlockSize}, accuracy level {AccuracyLevel}, classifier {(ClassifierBits is { } c ? $"int{c}" : "fp32")}");
        if (Adapter is not null) sb.AppendLine($"adapter {Adapter}: {AdapterExamples} held-out prompts, an answer is right when the greedy continuation starts with the completion");
        sb.AppendLine();
        bool adapter = Adapter is not null;
        sb.AppendLine("| precision | weight error (rel. Frobenius) | perplexity | × fp32 | greedy agreement with fp32 | identical greedy prefix |" + (adapter ? " adapter answers right | adapter agreement with fp32 adapter |" : ""));
        sb.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |" + (adapter ? " ---: | ---: |" : ""));
        foreach (var r in Rows)
            sb.AppendLine($"| {r.Precision} | {r.RelativeWeightError.ToString("G3", CultureInfo.InvariantCulture)} | {r.Perplexity.ToString("F3", CultureInfo.InvariantCulture)} | {r.PerplexityRatio.ToString("F4", CultureInfo.InvariantCulture)} | "
                + $"{r.GreedyAgreement.ToString("P1", CultureInfo.InvariantCulture)} | {r.IdenticalGreedyPrefix} / {GreedyTokens} |"
                + (adapter ? $" {r.AdapterAnswersRight} / {AdapterExamples} | {r.AdapterGreedyAgreement?.ToString("P1", CultureInfo.InvariantCulture)} |" : ""));
        if (adapter)
        {
            sb.AppendLine();
            foreach (var r in Rows) sb.AppendLine($"{r.Precision} adapter answers: {string.Join(" | ", r.AdapterAnswers ?? [])}");
        }
        return sb.ToString();
    }
}
