using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Model;

/// <summary>RMSNorm: x / sqrt(mean(x²) + eps) · weight, over the last dimension.</summary>
public sealed class RmsNorm : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // field name is the HF key suffix
    Parameter weight; // [dim]
#pragma warning restore IDE1006
    readonly double _eps;

    /// <summary>Takes ownership of <paramref name="weight"/>.</summary>
    public RmsNorm(Parameter weight, double eps) : base(nameof(RmsNorm))
    {
        this.weight = weight;
        _eps = eps;
        RegisterComponents();
    }

    public Parameter Weight => weight;

    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        // 1. reciprocal root mean square over the features of each position
        var inverseRms = rsqrt(x.pow(KeptScalars.Two).mean([-1], keepdim: true).add(KeptScalars.Of(_eps), KeptScalars.One));
        // 2. normalise, then scale by the learned gain
        return (x * inverseRms * weight).MoveToOuterDisposeScope();
    }
}
