using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Reft;

/// <summary>
/// LoReFT (Wu et al. 2024): Φ(h) = h + Rᵀ(W h + b − R h), R [r, dim] with orthonormal rows,
/// W [r, dim], b [r]. The edit replaces the component of h in R's row space by the learned W h + b.
/// <para>
/// Orthogonality is kept by retraction, not by a parametrisation: R is an ordinary parameter,
/// and after every optimizer step it is replaced by the nearest frame with orthonormal rows
/// (sign-fixed thin QR, <see cref="Orthonormalize.Rows"/>). Gradients are therefore those of
/// the plain formula above (what the finite-difference check compares), an optimizer step
/// moves R by O(lr), and the retraction removes only the O(lr²) drift off the manifold.
/// </para>
/// Init: R = rows of Q from the QR of a Gaussian matrix, W ~ U(±1/√dim), b = 0.
/// </summary>
public sealed class LoReftIntervention : ReftIntervention
{
    readonly Parameter _r; // [r, dim], orthonormal rows
    readonly Parameter _w; // [r, dim]
    readonly Parameter _b; // [r]

    LoReftIntervention(string prefix, Parameter r, Parameter w, Parameter b) : base(prefix)
    {
        _r = r;
        _w = w;
        _b = b;
        Parameters = [($"{prefix}.R", r), ($"{prefix}.W", w), ($"{prefix}.b", b)];
    }

    public static ReftIntervention Create(string prefix, int rank, int dim, ScalarType dtype, Device device, Generator init) =>
        new LoReftIntervention(prefix,
            NewParameter(ParameterInit.OrthonormalRows(rank, dim, init, dtype, device)),
            NewParameter(ParameterInit.KaimingUniform(rank, dim, init, dtype, device)),
            NewParameter(zeros(rank, dtype, device)));

    public override IReadOnlyList<(string Name, Parameter Parameter)> Parameters { get; }

    public override Tensor Delta(Tensor h, double dropout, bool training)
    {
        using var scope = NewDisposeScope();
        // 1. rank-r code: learned target W h + b minus the current projection R h
        var code = nn.functional.linear(h, _w, _b) - nn.functional.linear(h, _r);
        // 2. back to the residual stream through Rᵀ
        return matmul(Dropout(code, dropout, training), _r).MoveToOuterDisposeScope();
    }

    public override void AfterOptimizerStep()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        _r.copy_(Orthonormalize.Rows(_r));
    }
}
