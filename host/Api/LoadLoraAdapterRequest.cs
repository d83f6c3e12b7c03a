using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>POST /v1/load_lora_adapter (vLLM).</summary>
internal sealed record LoadLoraAdapterRequest
{
    [JsonPropertyName("lora_name")] public string? LoraName { get; init; }
    [JsonPropertyName("lora_path")] public string? LoraPath { get; init; }
}
