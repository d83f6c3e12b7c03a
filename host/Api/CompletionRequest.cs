using System.Text.Json;
using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>The body of POST /v1/completions (OpenAI legacy completions).</summary>
internal sealed record CompletionRequest : GenerationRequestFields
{
    [JsonPropertyName("prompt")] public JsonElement? Prompt { get; init; }
    [JsonPropertyName("best_of")] public int? BestOf { get; init; }
    [JsonPropertyName("echo")] public bool? Echo { get; init; }
    [JsonPropertyName("logprobs")] public int? Logprobs { get; init; }
    [JsonPropertyName("suffix")] public string? Suffix { get; init; }
}
