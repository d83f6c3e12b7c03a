using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>A whole completion, and also one streamed chunk (then <see cref="Usage"/> is null except in the usage chunk).</summary>
internal sealed record CompletionResponse
{
    public const string ObjectName = "text_completion";

    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("object")] public string Object { get; init; } = ObjectName;
    [JsonPropertyName("created")] public required long Created { get; init; }
    [JsonPropertyName("model")] public required string Model { get; init; }
    [JsonPropertyName("choices")] public required IReadOnlyList<CompletionChoice> Choices { get; init; }
    [JsonPropertyName("usage"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public CompletionUsage? Usage { get; init; }
}
