using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Compression;

/// <summary>A factorised projection y = U (V x) + b, U [out, k], V [k, in], b [out] or none. Owns its tensors.</summary>
sealed class FactorizedLinear : nn.Module<Tensor, Tensor>
{
#pragma warning disable IDE1006 // names as in a compressed checkpoint (weight_u, weight_v, bias)
    readonly Parameter weight_u;
    readonly Parameter weight_v;
    readonly Parameter? bias;
#pragma warning restore IDE1006

    /// <summary>Takes ownership of the tensors.</summary>
    public FactorizedLinear(Tensor u, Tensor v, Tensor? b) : base(nameof(FactorizedLinear))
    {
        weight_u = new Parameter(u, requires_grad: false);
        weight_v = new Parameter(v, requires_grad: false);
        bias = b is null ? null : new Parameter(b, requires_grad: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x) => nn.functional.linear(nn.functional.linear(x, weight_v), weight_u, bias);
}
