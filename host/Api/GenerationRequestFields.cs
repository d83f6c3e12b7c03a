using System.Text.Json;
using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>
/// The fields /v1/completions and /v1/chat/completions share: the model, sampling (OpenAI's and the
/// ones vLLM users send), stop strings and streaming. Fields of a loose shape stay raw JSON so a
/// wrong shape gets an error naming the field rather than a parse failure. Unknown fields are
/// ignored, as OpenAI does.
/// </summary>
internal abstract record GenerationRequestFields
{
    [JsonPropertyName("model")] public string? Model { get; init; }
    [JsonPropertyName("temperature")] public float? Temperature { get; init; }
    [JsonPropertyName("top_p")] public float? TopP { get; init; }
    [JsonPropertyName("top_k")] public int? TopK { get; init; }
    [JsonPropertyName("min_p")] public float? MinP { get; init; }
    [JsonPropertyName("repetition_penalty")] public float? RepetitionPenalty { get; init; }
    [JsonPropertyName("presence_penalty")] public float? PresencePenalty { get; init; }
    [JsonPropertyName("frequency_penalty")] public float? FrequencyPenalty { get; init; }
    [JsonPropertyName("logit_bias")] public JsonElement? LogitBias { get; init; }
    [JsonPropertyName("seed")] public long? Seed { get; init; }
    [JsonPropertyName("stop")] public JsonElement? Stop { get; init; }
    [JsonPropertyName("stream")] public bool? Stream { get; init; }
    [JsonPropertyName("stream_options")] public StreamOptions? StreamOptions { get; init; }
    [JsonPropertyName("n")] public int? N { get; init; }
    [JsonPropertyName("max_tokens")] public long? MaxTokens { get; init; }
}
