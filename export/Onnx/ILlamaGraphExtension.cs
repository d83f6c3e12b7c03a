namespace Adapters.Export.Onnx;

/// <summary>
/// A hook into the decoder graph, the single place where adapters change it. Every member has a
/// do-nothing default, so an extension overrides only what it needs; several extensions are
/// applied in list order, each seeing the previous one's result.
/// <list type="bullet">
/// <item>LoRA: declare A/B inputs in <see cref="AddInputs"/>, add x·A·B·scale in <see cref="OnProjection"/>.</item>
/// <item>ReFT: declare weights and a position mask, edit the hidden state in <see cref="OnResidualStream"/>.</item>
/// </list>
/// </summary>
public interface ILlamaGraphExtension
{
    /// <summary>Called once before the layers are built: declare extra graph inputs or initializers.</summary>
    void AddInputs(LlamaGraphContext context) { }

    /// <summary>
    /// Called for every linear projection. <paramref name="input"/> is x [batch, seq, in] and
    /// <paramref name="output"/> the base x·Wᵀ (+ b where the model has a bias) [batch, seq, out]; returns the value to use instead
    /// (the same name when nothing changes).
    /// </summary>
    string OnProjection(LlamaGraphContext context, ProjectionSite site, string input, string output) => output;

    /// <summary>
    /// Called with the residual stream h [batch, seq, dim] after layer <paramref name="layer"/>
    /// (attention and feed-forward both added); returns the stream the next layer reads.
    /// </summary>
    string OnResidualStream(LlamaGraphContext context, int layer, string hidden) => hidden;

    /// <summary>Called once after the standard outputs exist: declare extra graph outputs.</summary>
    void AddOutputs(LlamaGraphContext context) { }
}
