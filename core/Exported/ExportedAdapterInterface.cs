using System.Text.Json.Serialization;

namespace Adapters.Core.Exported;

/// <summary>
/// The adapter inputs of an exported decoder (model_manifest.json "adapters"): absent for a
/// plain or fused export. Every input has a default in the graph that leaves the base model
/// unchanged (rank 0, zero masks), except in batched exports, where the runtime feeds all of them.
/// </summary>
public sealed record ExportedAdapterInterface
{
    [JsonPropertyName("mode")]
    [JsonConverter(typeof(JsonStringEnumConverter<AdapterExportMode>))]
    public required AdapterExportMode Mode { get; init; }

    [JsonPropertyName("inputs")] public required IReadOnlyList<AdapterInputSpec> Inputs { get; init; }

    /// <summary>Position group → mask input name, for residual edits; empty when the graph has none.</summary>
    [JsonPropertyName("position_masks")] public IReadOnlyDictionary<string, string> PositionMasks { get; init; } = new Dictionary<string, string>();

    /// <summary>Batched: adapters one run can serve (the slot axis length).</summary>
    [JsonPropertyName("slots")] public int Slots { get; init; }

    /// <summary>Batched: the padded rank of every input; larger adapters are refused.</summary>
    [JsonPropertyName("max_rank")] public int MaxRank { get; init; }

    /// <summary>Batched: [batch] int64 row → slot input, −1 for no adapter.</summary>
    [JsonPropertyName("adapter_index")] public string? AdapterIndex { get; init; }

    /// <summary>Exported adapters beside the model: name → manifest file, relative to the folder.</summary>
    [JsonPropertyName("adapters")] public IReadOnlyDictionary<string, string> Adapters { get; init; } = new Dictionary<string, string>();

    public AdapterInputSpec? Find(string name) => Inputs.FirstOrDefault(i => i.Name == name);
}
