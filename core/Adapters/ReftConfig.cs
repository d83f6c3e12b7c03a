using System.Text.Json.Serialization;
using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

/// <summary>
/// ReFT interventions on the residual stream output of chosen layers at chosen prompt positions
/// (Wu et al. 2024). LoReFT: h + Rᵀ(W h + b − R h) with R [r, dim] orthonormal rows;
/// DiReFT: h + W2ᵀ(W1 h + b), no orthogonality.
/// </summary>
public sealed record ReftConfig
{
    [JsonPropertyName("rank")] public int Rank { get; init; } = 4;
    /// <summary>Layers whose output is edited; empty means all.</summary>
    [JsonPropertyName("layers")] public IReadOnlyList<int> Layers { get; init; } = [];
    [JsonPropertyName("positions")] public string Positions { get; init; } = "f7+l7";
    /// <summary>Separate weights for prefix and suffix positions (pyreft's share_weights=False).</summary>
    [JsonPropertyName("untied")] public bool Untied { get; init; }
    [JsonPropertyName("dropout")] public float Dropout { get; init; }

    [JsonIgnore] public PositionSpec PositionSpec => Adapters.PositionSpec.Parse(Positions);

    public ReftConfig Validate(LlamaConfig? model = null)
    {
        if (Rank <= 0) throw new ArgumentException($"ReFT rank must be positive, got {Rank}");
        if (!(Dropout >= 0 && Dropout < 1)) throw new ArgumentException($"ReFT dropout must be in [0, 1), got {Dropout}");
        _ = PositionSpec;
        if (model != null)
        {
            if (Rank > model.Dim) throw new ArgumentException($"ReFT rank {Rank} exceeds the model dimension {model.Dim}");
            foreach (int l in Layers)
                if (l < 0 || l >= model.NumLayers) throw new ArgumentException($"ReFT layer {l} is out of range for a {model.NumLayers}-layer model");
        }
        return this;
    }

    public IEnumerable<int> LayersOf(LlamaConfig model) => Layers.Count > 0 ? Layers : Enumerable.Range(0, model.NumLayers);

    /// <summary>"prefix"/"suffix" when untied, otherwise one shared "all" intervention.</summary>
    [JsonIgnore] public IReadOnlyList<string> InterventionGroups => Untied ? ["prefix", "suffix"] : ["all"];
}

public static class ReftSchema
{
    /// <summary>
    /// LoReFT: {prefix}.R [r, dim] (orthonormal rows), .W [r, dim], .b [r].
    /// DiReFT: {prefix}.W1 [r, dim], .b [r], .W2 [r, dim].
    /// </summary>
    public static IEnumerable<(string Name, int[] Shape)> ExpectedTensors(this ReftConfig reft, string method, LlamaConfig model)
    {
        int r = reft.Rank, d = model.Dim;
        foreach (int l in reft.LayersOf(model))
            foreach (string g in reft.InterventionGroups)
            {
                string p = AdapterTensorNames.Reft(l, g);
                if (method == AdapterMethods.LoReft)
                {
                    yield return ($"{p}.R", [r, d]);
                    yield return ($"{p}.W", [r, d]);
                    yield return ($"{p}.b", [r]);
                }
                else
                {
                    yield return ($"{p}.W1", [r, d]);
                    yield return ($"{p}.b", [r]);
                    yield return ($"{p}.W2", [r, d]);
                }
            }
    }
}
