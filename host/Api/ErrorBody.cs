using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

internal sealed record ErrorBody
{
    [JsonPropertyName("message")] public required string Message { get; init; }
    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("param")] public string? Param { get; init; }
    [JsonPropertyName("code")] public string? Code { get; init; }
}
