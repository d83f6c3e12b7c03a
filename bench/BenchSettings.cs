using System.Text.Json.Serialization;

namespace Adapters.Bench;

/// <summary>The workload of a run, as recorded in the report.</summary>
public sealed record BenchSettings
{
    [JsonPropertyName("shape")] public required string Shape { get; init; }
    [JsonPropertyName("model")] public required string Model { get; init; }
    /// <summary>The compressed checkpoint timed beside the base (null: none).</summary>
    [JsonPropertyName("compressed")] public string? Compressed { get; init; }
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
    /// <summary>Why llama.cpp was not run although asked for (null: it ran, or --no-llamacpp).</summary>
    [JsonPropertyName("llamacpp_skipped")] public string? LlamaCppSkipped { get; init; }
    /// <summary>Why llama.cpp's quantized variants are missing from this run (null: they ran).</summary>
    [JsonPropertyName("llamacpp_quantized_skipped")] public string? LlamaCppQuantizedSkipped { get; init; }
    [JsonPropertyName("interleaving")] public string Interleaving { get; init; } = "round-robin over all variants per round and batch size, start rotated each round, one untimed warm-up pass";
}
