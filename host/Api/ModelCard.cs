using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>One entry of /v1/models: OpenAI's fields, vLLM's root/parent/max_model_len, and ours (kind, method, rank).</summary>
internal sealed record ModelCard
{
    [JsonPropertyName("id")] public required string Id { get; init; }
    [JsonPropertyName("object")] public string Object { get; init; } = "model";
    [JsonPropertyName("created")] public long Created { get; init; }
    [JsonPropertyName("owned_by")] public string OwnedBy { get; init; } = "adapters";
    [JsonPropertyName("root")] public string? Root { get; init; }
    [JsonPropertyName("parent")] public string? Parent { get; init; }
    [JsonPropertyName("max_model_len")] public int MaxModelLen { get; init; }
    [JsonPropertyName("kind")] public required string Kind { get; init; }
    [JsonPropertyName("method")] public string? Method { get; init; }
    [JsonPropertyName("rank")] public int? Rank { get; init; }
}
