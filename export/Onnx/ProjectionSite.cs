namespace Adapters.Export.Onnx;

/// <summary>
/// One linear projection of a decoder layer, as seen by a graph extension: which layer, which
/// projection (q_proj … down_proj, the <see cref="Adapters.Core.Model.LlamaTensorNames.Projections"/>
/// short names), its sizes, and the canonical name of its [out, in] weight.
/// </summary>
public sealed record ProjectionSite(int Layer, string Projection, int InFeatures, int OutFeatures, string WeightName)
{
    /// <summary>Module path, e.g. model.layers.0.self_attn.q_proj (the key adapters use).</summary>
    public string Module => Adapters.Core.Model.LlamaTensorNames.ProjectionModule(Layer, Projection);
}
