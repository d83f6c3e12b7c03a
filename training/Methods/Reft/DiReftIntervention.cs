using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Reft;

/// <summary>
/// DiReFT (Wu et al. 2024): Φ(h) = h + W2ᵀ(W1 h + b), W1 and W2 [r, dim], b [r]; LoReFT without
/// the orthogonality constraint or the subtracted projection. Init: W1, W2 ~ U(±1/√dim)
/// (pyreft's nn.Linear defaults), b = 0.
/// In pyreft this is <c>NodireftIntervention</c> (no orthonormal matrix anywhere); pyreft's
/// <c>DireftIntervention</c> is a different intervention that keeps an orthonormal R like LoReFT.
/// The manifest name "direft" follows the paper, not that class name.
/// </summary>
public sealed class DiReftIntervention : ReftIntervention
{
    readonly Parameter _w1; // [r, dim]
    readonly Parameter _b;  // [r]
    readonly Parameter _w2; // [r, dim]

    DiReftIntervention(string prefix, Parameter w1, Parameter b, Parameter w2) : base(prefix)
    {
        _w1 = w1;
        _b = b;
        _w2 = w2;
        Parameters = [($"{prefix}.W1", w1), ($"{prefix}.b", b), ($"{prefix}.W2", w2)];
    }

    public static ReftIntervention Create(string prefix, int rank, int dim, ScalarType dtype, Device device, Generator init) =>
        new DiReftIntervention(prefix,
            NewParameter(ParameterInit.KaimingUniform(rank, dim, init, dtype, device)),
            NewParameter(zeros(rank, dtype, device)),
            NewParameter(ParameterInit.KaimingUniform(rank, dim, init, dtype, device)));

    public override IReadOnlyList<(string Name, Parameter Parameter)> Parameters { get; }

    public override Tensor Delta(Tensor h, double dropout, bool training)
    {
        using var scope = NewDisposeScope();
        // 1. rank-r code W1 h + b
        var code = nn.functional.linear(h, _w1, _b);
        // 2. back to the residual stream through W2ᵀ
        return matmul(Dropout(code, dropout, training), _w2).MoveToOuterDisposeScope();
    }
}
