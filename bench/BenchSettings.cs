using System.Text.Json.Serialization;

namespace Adapters.Bench;

/// <summary>The workload of a run, as recorded in the report.</summary>
public sealed record BenchSettings
{
    [JsonPropertyName("shape")] public required string Shape { get; init; }
    [JsonPropertyName("model")] public required string Model { get; init; }
    /// <summary>The compressed checkpoint timed beside the base (null: none).</summary>
    [JsonPropertyName("compressed")] public string? Compressed { get; init; }
    /// <summary>The second export timed beside an exported folder (--compare-with; null: none).</summary>
    [JsonPropertyName("compare_with")] public string? CompareWith { get; init; }
    /// <summary>The model family (llama, mistral, qwen2, qwen3).</summary>
    [JsonPropertyName("family")] public string Family { get; init; } = "llama";
    [JsonPropertyName("dim")] public int Dim { get; init; }
    [JsonPropertyName("head_dim")] public int HeadDim { get; init; }
    [JsonPropertyName("parameters")] public long Parameters { get; init; }
    [JsonPropertyName("layers")] public int Layers { get; init; }
    [JsonPropertyName("vocab")] public int Vocab { get; init; }
    [JsonPropertyName("quick")] public bool Quick { get; init; }
    [JsonPropertyName("steps")] public int Steps { get; init; }
    [JsonPropertyName("rounds")] public int Rounds { get; init; }
    [JsonPropertyName("settle_ms")] public int SettleMs { get; init; }
    [JsonPropertyName("prompt_tokens")] public int PromptTokens { get; init; }
    [JsonPropertyName("batch_sizes")] public required IReadOnlyList<int> BatchSizes { get; init; }
    [JsonPropertyName("swaps")] public int Swaps { get; init; }
    [JsonPropertyName("genai")] public bool GenAi { get; init; }
    [JsonPropertyName("llamacpp")] public bool LlamaCpp { get; init; }
    /// <summary>Our int8/int4 exports were timed (classifier int8 in both).</summary>
    [JsonPropertyName("quantized")] public bool Quantized { get; init; }
    [JsonPropertyName("precision_only")] public bool PrecisionOnly { get; init; }
    [JsonPropertyName("quantization_block_size")] public int QuantizationBlockSize { get; init; }
    [JsonPropertyName("quantization_accuracy_level")] public int QuantizationAccuracyLevel { get; init; }
    /// <summary>Bits of the quantized variants' classifier (null: fp32).</summary>
    [JsonPropertyName("quantization_classifier_bits")] public int? QuantizationClassifierBits { get; init; }
    /// <summary>Why llama.cpp was not run although asked for (null: it ran, or --no-llamacpp).</summary>
    [JsonPropertyName("llamacpp_skipped")] public string? LlamaCppSkipped { get; init; }
    /// <summary>Why llama.cpp's quantized variants are missing from this run (null: they ran).</summary>
    [JsonPropertyName("llamacpp_quantized_skipped")] public string? LlamaCppQuantizedSkipped { get; init; }
    /// <summary>Seed of the variants' order in each round (--order-seed; drawn anew per run unless given).</summary>
    [JsonPropertyName("order_seed")] public int? OrderSeed { get; init; }
    [JsonPropertyName("interleaving")] public string Interleaving { get; init; } = "every variant once per round and batch size, in a new random order each round (order_seed), one untimed warm-up pass";
}
