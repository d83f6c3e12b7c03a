using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>The choice of one streamed chunk: a delta, and the finish reason on the last chunk (null before).</summary>
internal sealed record ChatChunkChoice
{
    [JsonPropertyName("index")] public int Index { get; init; }
    [JsonPropertyName("delta")] public required ChatDelta Delta { get; init; }
    [JsonPropertyName("logprobs")] public object? Logprobs { get; init; }
    [JsonPropertyName("finish_reason")] public string? FinishReason { get; init; }
}
