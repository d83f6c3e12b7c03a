using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>A short success body: /health, adapter load and unload.</summary>
internal sealed record StatusResponse
{
    [JsonPropertyName("status")] public required string Status { get; init; }
    [JsonPropertyName("message"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Message { get; init; }
    [JsonPropertyName("model"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public ModelCard? Model { get; init; }
}
