using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>OpenAI's error body: {"error": {"message", "type", "param", "code"}}.</summary>
internal sealed record ErrorResponse
{
    [JsonPropertyName("error")] public required ErrorBody Error { get; init; }
}
