using System.Text.Json.Serialization;
using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

/// <summary>
/// TARP on each target projection W [out, in], for a token x [in]:
/// y = (W ⊙ s(U V)) x + B Φ(x) A x with s(z) = 1 + z, U [out, r], V [r, in], A [r, in],
/// B [out, r] and an r×r core Φ. tarp: Φ(x) = C + reshape(P x, [r, r]) with P [r·r, in] — a core
/// computed per token; tarp-static: Φ = C, a constant learned core (so ΔW = W ⊙ (U V) + B C A is
/// foldable). U, C and P start at zero (scale 1, no low-rank term), V, A, B random, so training
/// starts from the base model with nonzero gradients for U, C and P.
/// </summary>
public sealed record TarpConfig
{
    [JsonPropertyName("rank")] public int Rank { get; init; } = 4;
    [JsonPropertyName("target_modules")] public IReadOnlyList<string> TargetModules { get; init; } = ["q_proj", "v_proj"];
    /// <summary>Layers to adapt; empty means all.</summary>
    [JsonPropertyName("layers")] public IReadOnlyList<int> Layers { get; init; } = [];

    public TarpConfig Validate(LlamaConfig? model = null)
    {
        if (Rank <= 0) throw new ArgumentException($"TARP rank must be positive, got {Rank}");
        ProjectionTargets.Validate(AdapterMethods.Tarp, TargetModules, Layers, model);
        if (model != null)
            foreach (string t in TargetModules)
            {
                var (o, i) = LlamaTensorNames.ProjectionShape(model, t);
                if (Rank > Math.Min(o, i))
                    throw new ArgumentException($"TARP rank {Rank} exceeds the smaller side ({Math.Min(o, i)}) of {t} [{o}, {i}]");
            }
        return this;
    }

    public IEnumerable<int> LayersOf(LlamaConfig model) => ProjectionTargets.LayersOf(Layers, model);
}
