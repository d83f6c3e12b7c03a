using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>What a chunk adds to the message: the role in the first chunk, text pieces after it, nothing in the last.</summary>
internal sealed record ChatDelta
{
    [JsonPropertyName("role"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Role { get; init; }
    [JsonPropertyName("content"), JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] public string? Content { get; init; }
}
