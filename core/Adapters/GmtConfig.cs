using System.Text.Json.Serialization;
using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

/// <summary>
/// Gradient-mask tuning: fine-tune the target projections' weights W ← W + ΔW, where before each
/// optimizer step the accumulated gradient G is masked, G ⊙ 1[|G| &gt; q_k(|G|)], q_k being the
/// k-quantile (<see cref="MaskRatio"/>) of |G| per tensor, or over all targets together when
/// <see cref="GlobalMask"/> is set. k = 0 is plain full fine-tuning of the targets. The saved
/// adapter is ΔW per target.
/// </summary>
public sealed record GmtConfig
{
    /// <summary>Fraction of gradient entries (smallest |g|) zeroed every step, in [0, 1).</summary>
    [JsonPropertyName("mask_ratio")] public double MaskRatio { get; init; } = 0.1;
    /// <summary>One quantile over all targets instead of one per tensor.</summary>
    [JsonPropertyName("global_mask")] public bool GlobalMask { get; init; }
    [JsonPropertyName("target_modules")] public IReadOnlyList<string> TargetModules { get; init; } = LlamaTensorNames.Projections;
    /// <summary>Layers to tune; empty means all.</summary>
    [JsonPropertyName("layers")] public IReadOnlyList<int> Layers { get; init; } = [];

    public GmtConfig Validate(LlamaConfig? model = null)
    {
        if (!(MaskRatio >= 0 && MaskRatio < 1)) throw new ArgumentException($"GMT mask ratio must be in [0, 1), got {MaskRatio}");
        ProjectionTargets.Validate(AdapterMethods.Gmt, TargetModules, Layers, model);
        return this;
    }

    public IEnumerable<int> LayersOf(LlamaConfig model) => ProjectionTargets.LayersOf(Layers, model);
}
