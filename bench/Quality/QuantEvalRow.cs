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
