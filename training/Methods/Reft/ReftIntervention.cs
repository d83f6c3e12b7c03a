using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Reft;

/// <summary>
/// One ReFT intervention (one layer, one position group): the edit Φ(h) − h it adds to the
/// residual stream at the positions it applies to. Owns its parameters.
/// </summary>
public abstract class ReftIntervention : IDisposable
{
    protected ReftIntervention(string prefix) => Prefix = prefix;

    /// <summary>Tensor-name prefix, <see cref="Core.Adapters.AdapterTensorNames.Reft"/>.</summary>
    public string Prefix { get; }

    /// <summary>The trainable tensors under their full adapter tensor names.</summary>
    public abstract IReadOnlyList<(string Name, Parameter Parameter)> Parameters { get; }

    /// <summary>
    /// The edit for hidden states h [batch, seq, dim] → [batch, seq, dim]; dropout (rate
    /// <paramref name="dropout"/>, only when <paramref name="training"/>) acts on the rank-r code.
    /// </summary>
    public abstract Tensor Delta(Tensor h, double dropout, bool training);

    /// <summary>Runs after each optimizer step (LoReFT retracts R onto orthonormal rows).</summary>
    public virtual void AfterOptimizerStep() { }

    public void Dispose()
    {
        foreach (var (_, p) in Parameters) p.Dispose();
        GC.SuppressFinalize(this);
    }

    protected static Parameter NewParameter(Tensor values)
    {
        var p = new Parameter(values, requires_grad: true);
        p.DetachFromDisposeScope();
        return p;
    }

    protected static Tensor Dropout(Tensor x, double rate, bool training) => AdapterDropout.Apply(x, rate, training);
}
