using static TorchSharp.torch;

namespace Adapters.Training.Methods;

/// <summary>Projection of a matrix onto matrices with orthonormal rows.</summary>
static class Orthonormalize
{
    /// <summary>
    /// For R [r, dim] (r ≤ dim): Qᵀ from the thin QR decomposition Rᵀ = Q U, with each column of
    /// Q sign-flipped so that diag(U) &gt; 0. The sign fix makes the map continuous and the
    /// identity on matrices that already have orthonormal rows, so applying it after a small
    /// optimizer step moves R only by that step's off-manifold part. Computed in float64; the
    /// result keeps the input's dtype.
    /// </summary>
    public static Tensor Rows(Tensor r)
    {
        using var scope = NewDisposeScope();
        var (q, u) = linalg.qr(r.to(ScalarType.Float64).t(), linalg.QRMode.Reduced);
        var signs = u.diagonal().sign();
        signs = where(signs == 0, ones_like(signs), signs); // a rank-deficient column keeps its sign
        return (q * signs.unsqueeze(0)).t().to(r.dtype).contiguous().MoveToOuterDisposeScope();
    }
}
