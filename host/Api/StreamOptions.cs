using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>OpenAI's stream_options: with include_usage the stream ends with a chunk carrying usage.</summary>
internal sealed record StreamOptions
{
    [JsonPropertyName("include_usage")] public bool? IncludeUsage { get; init; }
}
