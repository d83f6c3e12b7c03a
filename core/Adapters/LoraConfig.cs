using System.Text.Json.Serialization;
using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

/// <summary>
/// LoRA: y = W x + (alpha / r) · B A x with A [r, in], B [out, r]; B starts at zero so the
/// adapter starts as the identity edit (Hu et al. 2021).
/// </summary>
public sealed record LoraConfig
{
    [JsonPropertyName("rank")] public int Rank { get; init; } = 8;
    [JsonPropertyName("alpha")] public float Alpha { get; init; } = 16;
    [JsonPropertyName("dropout")] public float Dropout { get; init; }
    /// <summary>Projection short names (q_proj … down_proj) the adapter wraps.</summary>
    [JsonPropertyName("target_modules")] public IReadOnlyList<string> TargetModules { get; init; } = ["q_proj", "v_proj"];
    /// <summary>Layers to adapt; empty means all.</summary>
    [JsonPropertyName("layers")] public IReadOnlyList<int> Layers { get; init; } = [];

    [JsonIgnore] public float Scale => Alpha / Rank;

    public LoraConfig Validate(LlamaConfig? model = null)
    {
        if (Rank <= 0) throw new ArgumentException($"LoRA rank must be positive, got {Rank}");
        if (!(Alpha > 0 && float.IsFinite(Alpha))) throw new ArgumentException($"LoRA alpha must be positive and finite, got {Alpha}");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"LoRA dropout must be in [0, 1), got {Dropout}");
        if (TargetModules.Count == 0) throw new ArgumentException("LoRA needs at least one target module");
        foreach (string t in TargetModules)
            if (!LlamaTensorNames.Projections.Contains(t))
                throw new ArgumentException($"unknown LoRA target '{t}'; expected some of {string.Join(", ", LlamaTensorNames.Projections)}");
        if (model != null)
        {
            foreach (int l in Layers)
                if (l < 0 || l >= model.NumLayers) throw new ArgumentException($"LoRA layer {l} is out of range for a {model.NumLayers}-layer model");
            foreach (string t in TargetModules)
            {
                var (o, i) = LlamaTensorNames.ProjectionShape(model, t);
                if (Rank > Math.Min(o, i))
                    throw new ArgumentException($"LoRA rank {Rank} exceeds the smaller side ({Math.Min(o, i)}) of {t} [{o}, {i}]");
            }
        }
        return this;
    }

    public IEnumerable<int> LayersOf(LlamaConfig model) => Layers.Count > 0 ? Layers : Enumerable.Range(0, model.NumLayers);
}

public static class LoraSchema
{
    /// <summary>Every tensor a LoRA adapter with this config holds, with its shape.</summary>
    public static IEnumerable<(string Name, int[] Shape)> ExpectedTensors(this LoraConfig lora, LlamaConfig model)
    {
        foreach (int l in lora.LayersOf(model))
            foreach (string p in lora.TargetModules)
            {
                var (o, i) = LlamaTensorNames.ProjectionShape(model, p);
                yield return (AdapterTensorNames.LoraA(l, p), [lora.Rank, i]);
                yield return (AdapterTensorNames.LoraB(l, p), [o, lora.Rank]);
            }
    }
}
