using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Adapters.Bench.Quality;

/// <summary>One precision's scores in a quant-eval run.</summary>
public sealed record QuantEvalRow
{
    [JsonPropertyName("precision")] public required string Precision { get; init; }
    /// <summary>‖W − Ŵ‖_F / ‖W‖_F over every quantized weight (the manifest's figure); 0 for fp32.</summary>
    [JsonPropertyName("relative_weight_error")] public double RelativeWeightError { get; init; }
    [JsonPropertyName("perplexity")] public double Perplexity { get; init; }
    [JsonPropertyName("perplexity_ratio")] public double PerplexityRatio { get; init; }
    /// <summary>Teacher-forced top-1 agreement with fp32's greedy tokens from BOS.</summary>
    [JsonPropertyName("greedy_agreement")] public double GreedyAgreement { get; init; }
    /// <summary>Free-running greedy tokens identical to fp32's before the first difference.</summary>
    [JsonPropertyName("identical_greedy_prefix")] public int IdenticalGreedyPrefix { get; init; }
    [JsonPropertyName("adapter_answers_right")] public int? AdapterAnswersRight { get; init; }
    [JsonPropertyName("adapter_greedy_agreement")] public double? AdapterGreedyAgreement { get; init; }
    [JsonPropertyName("adapter_answers")] public IReadOnlyList<string>? AdapterAnswers { get; init; }
}

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
