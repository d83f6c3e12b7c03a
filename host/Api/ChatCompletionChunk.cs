using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>One streamed event of a chat completion (object "chat.completion.chunk"); only the usage chunk carries <see cref="Usage"/>.</summary>
internal sealed record ChatCompletionChunk
{
    public const string ObjectName = "chat.completion.chunk";

    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("object")] public string Object { get; init; } = ObjectName;
    [JsonPropertyName("created")] public required long Created { get; init; }
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("choices")] public required IReadOnlyList<ChatChunkChoice> Choices { get; init; }
    [JsonPropertyName("usage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public CompletionUsage? Usage { get; init; }
}
