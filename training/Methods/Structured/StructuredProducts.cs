using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Structured;

/// <summary>
/// ΔW x for the SURM structured matrices without forming ΔW, through real and complex FFTs
/// (O(d log d) per token instead of O(d²)). x is [..., in], the result [..., out]. Core's
/// <see cref="Core.Adapters.WeightDeltas.StructuredMatrices"/> gives the same matrices dense.
/// </summary>
public static class StructuredProducts
{
    /// <summary>C(c) x = irfft(rfft(c) · rfft(x)): a circular convolution; c [d] or [r, d] (then x [..., r, d]).</summary>
    public static Tensor Circulant(Tensor c, Tensor x)
    {
        using var scope = NewDisposeScope();
        long d = c.shape[^1];
        return fft.irfft(fft.rfft(c) * fft.rfft(x), d).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// T(t) x with T[i, j] = t[i − j + in − 1], t [out + in − 1]: a circular convolution of size
    /// N = out + in − 1 on x zero-padded to N, read at outputs in − 1 .. in + out − 2, where no
    /// index wraps.
    /// </summary>
    public static Tensor Toeplitz(Tensor t, Tensor x, long outFeatures)
    {
        using var scope = NewDisposeScope();
        long inFeatures = x.shape[^1], n = outFeatures + inFeatures - 1;
        if (t.shape[0] != n) throw new ArgumentException($"a Toeplitz [{outFeatures}, {inFeatures}] needs {n} values, got {t.shape[0]}");
        var full = fft.irfft(fft.rfft(t) * fft.rfft(x, n), n);
        return full.narrow(-1, inFeatures - 1, outFeatures).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// S(s) x for the skew-circulant S[i, j] = s[i − j] (i ≥ j), −s[i − j + d] (i &lt; j):
    /// S = D⁻¹ C(D s) D with D = diag(ωᵏ), ω = e^{iπ/d} (ωᵈ = −1 gives the sign on wrap), so
    /// S x = ω⁻ⁱ · ifft(fft(ωᵏ sₖ) · fft(ωʲ xⱼ)). s [d] or [r, d].
    /// </summary>
    public static Tensor SkewCirculant(Tensor s, Tensor x)
    {
        using var scope = NewDisposeScope();
        long d = s.shape[^1];
        var angle = arange(d, ScalarType.Float64, s.device) * (Math.PI / d);
        var twist = complex(angle.cos(), angle.sin()).to(s.dtype == ScalarType.Float64 ? ScalarType.ComplexFloat64 : ScalarType.ComplexFloat32);
        var product = fft.ifft(fft.fft_(s * twist) * fft.fft_(x * twist));
        return (product * twist.conj()).real.contiguous().MoveToOuterDisposeScope();
    }

    /// <summary>Σₖ C(cₖ) S(sₖ) x for c, s [r, d].</summary>
    public static Tensor Ldr(Tensor c, Tensor s, Tensor x)
    {
        using var scope = NewDisposeScope();
        var perRank = Circulant(c, SkewCirculant(s, x.unsqueeze(-2))); // [..., r, d]
        return perRank.sum(-2).MoveToOuterDisposeScope();
    }

    /// <summary>(B ⊗ A) x = vec(B X Aᵀ) with X = x reshaped [in1, in2]; B [o1, i1], A [o2, i2].</summary>
    public static Tensor Kronecker(Tensor b, Tensor a, Tensor x)
    {
        using var scope = NewDisposeScope();
        long o1 = b.shape[0], i1 = b.shape[1], o2 = a.shape[0], i2 = a.shape[1];
        var lead = x.shape[..^1];
        var grid = x.reshape([.. lead, i1, i2]);
        var y = matmul(b, matmul(grid, a.t()));                    // [..., o1, o2]
        return y.reshape([.. lead, o1 * o2]).MoveToOuterDisposeScope();
    }
}
