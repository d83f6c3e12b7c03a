using Adapters.Core.Model;

namespace Adapters.Export.Onnx;

/// <summary>
/// One projection group of a decoder layer (<see cref="ProjectionGroup"/>: q/k/v, o, gate/up,
/// down), as seen by a graph extension: which layer and group, its input features and each
/// member's output features (the packed output is their concatenation, in member order).
/// </summary>
public sealed record ProjectionSite(int Layer, ProjectionGroup Group, int InFeatures, IReadOnlyList<int> MemberOutFeatures)
{
    /// <summary>Output features of the packed output: Σ over the members.</summary>
    public int OutFeatures => MemberOutFeatures.Sum();

    /// <summary>Module path, e.g. model.layers.0.self_attn.qkv_proj (the key of the group's adapter inputs).</summary>
    public string Module => Group.Module(Layer);
}
