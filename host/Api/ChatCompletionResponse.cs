using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>A whole chat completion (object "chat.completion").</summary>
internal sealed record ChatCompletionResponse
{
    public const string ObjectName = "chat.completion";

    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("object")] public string Object { get; init; } = ObjectName;
    [JsonPropertyName("created")] public required long Created { get; init; }
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("choices")] public required IReadOnlyList<ChatChoice> Choices { get; init; }
    [JsonPropertyName("usage")] public required CompletionUsage Usage { get; init; }
}
