using System.Text.Json.Serialization;

namespace Adapters.Host.Api;

/// <summary>POST /v1/unload_lora_adapter (vLLM).</summary>
internal sealed record UnloadLoraAdapterRequest
{
    [JsonPropertyName("lora_name")] public string? LoraName { get; init; }
}
