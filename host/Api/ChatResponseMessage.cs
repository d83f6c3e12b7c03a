using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>The assistant message of a chat completion.</summary>
internal sealed record ChatResponseMessage
{
    [JsonPropertyName("role")] public string Role { get; init; } = "assistant";
    [JsonPropertyName("content")] public required string Content { get; init; }
}
