using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>GET /v1/models.</summary>
internal sealed record ModelList
{
    [JsonPropertyName("object")] public string Object { get; init; } = "list";
    [JsonPropertyName("data")] public required IReadOnlyList<ModelCard> Data { get; init; }
}
