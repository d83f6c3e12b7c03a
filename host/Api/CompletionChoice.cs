using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>One choice (we serve n = 1). finish_reason is "stop" (EOS or a stop string), "length" (max_tokens or the context end), or null mid-stream.</summary>
internal sealed record CompletionChoice
{
    [JsonPropertyName("index")] public int Index { get; init; }
    [JsonPropertyName("text")] public required string Text { get; init; }
    [JsonPropertyName("logprobs")] public object? Logprobs { get; init; }
    [JsonPropertyName("finish_reason")] public string? FinishReason { get; init; }
}
