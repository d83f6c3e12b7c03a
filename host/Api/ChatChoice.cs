using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>The one choice of a chat completion: the assistant's message and why it ended ("stop" or "length").</summary>
internal sealed record ChatChoice
{
    [JsonPropertyName("index")] public int Index { get; init; }
    [JsonPropertyName("message")] public required ChatResponseMessage Message { get; init; }
    [JsonPropertyName("logprobs")] public object? Logprobs { get; init; }
    [JsonPropertyName("finish_reason")] public required string FinishReason { get; init; }
}
