using System.Text.Json;
using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>
/// The body of POST /v1/completions (OpenAI legacy completions). <c>prompt</c> and <c>stop</c>
/// stay raw JSON so a wrong shape gets an error naming the field rather than a parse failure.
/// Unknown fields are ignored, as OpenAI-compatible servers do.
/// </summary>
internal sealed record CompletionRequest
{
    [JsonPropertyName("model")] public string? Model { get; init; }
    [JsonPropertyName("prompt")] public JsonElement? Prompt { get; init; }
    [JsonPropertyName("max_tokens")] public long? MaxTokens { get; init; }
    [JsonPropertyName("temperature")] public float? Temperature { get; init; }
    [JsonPropertyName("top_p")] public float? TopP { get; init; }
    [JsonPropertyName("seed")] public long? Seed { get; init; }
    [JsonPropertyName("stop")] public JsonElement? Stop { get; init; }
    [JsonPropertyName("stream")] public bool? Stream { get; init; }
    [JsonPropertyName("stream_options")] public StreamOptions? StreamOptions { get; init; }
    [JsonPropertyName("n")] public int? N { get; init; }
    [JsonPropertyName("best_of")] public int? BestOf { get; init; }
    [JsonPropertyName("echo")] public bool? Echo { get; init; }
    [JsonPropertyName("logprobs")] public int? Logprobs { get; init; }
}
