namespace Adapters.Core.Adapters.WeightDeltas;

/// <summary>
/// Dense [out, in] row-major materialisation of the structured matrices of the SURM methods
/// (see <see cref="StructuredConfig"/> for the formulas), accumulated in float64. Training
/// multiplies by the same matrices through FFTs; tests hold the two against each other.
/// </summary>
public static class StructuredMatrices
{
    /// <summary>C(c)[i, j] = c[(i − j) mod d], [d, d].</summary>
    public static float[] Circulant(ReadOnlySpan<float> c)
    {
        int d = c.Length;
        var m = new float[(long)d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) m[(long)i * d + j] = c[(i - j + d) % d];
        return m;
    }

    /// <summary>S(s)[i, j] = s[i − j] for i ≥ j, −s[i − j + d] for i &lt; j (a circulant whose wrapped entries change sign), [d, d].</summary>
    public static float[] SkewCirculant(ReadOnlySpan<float> s)
    {
        int d = s.Length;
        var m = new float[(long)d * d];
        for (int i = 0; i < d; i++)
            for (int j = 0; j < d; j++) m[(long)i * d + j] = i >= j ? s[i - j] : -s[i - j + d];
        return m;
    }

    /// <summary>T(t)[i, j] = t[i − j + in − 1], [out, in], t of length out + in − 1.</summary>
    public static float[] Toeplitz(ReadOnlySpan<float> t, int outFeatures, int inFeatures)
    {
        if (t.Length != outFeatures + inFeatures - 1)
            throw new ArgumentException($"a Toeplitz [{outFeatures}, {inFeatures}] needs {outFeatures + inFeatures - 1} values, got {t.Length}");
        var m = new float[(long)outFeatures * inFeatures];
        for (int i = 0; i < outFeatures; i++)
            for (int j = 0; j < inFeatures; j++) m[(long)i * inFeatures + j] = t[i - j + inFeatures - 1];
        return m;
    }

    /// <summary>(B ⊗ A)[p·o2 + q, s·i2 + u] = B[p, s] · A[q, u], [o1·o2, i1·i2].</summary>
    public static float[] Kronecker(ReadOnlySpan<float> b, int o1, int i1, ReadOnlySpan<float> a, int o2, int i2)
    {
        if (b.Length != o1 * i1 || a.Length != o2 * i2) throw new ArgumentException($"Kronecker factors hold {b.Length} and {a.Length} values, expected {o1 * i1} and {o2 * i2}");
        int cols = i1 * i2;
        var m = new float[(long)o1 * o2 * cols];
        for (int p = 0; p < o1; p++)
            for (int s = 0; s < i1; s++)
            {
                float bps = b[p * i1 + s];
                for (int q = 0; q < o2; q++)
                    for (int u = 0; u < i2; u++) m[(long)(p * o2 + q) * cols + s * i2 + u] = bps * a[q * i2 + u];
            }
        return m;
    }

    /// <summary>
    /// Σₖ C(cₖ) S(sₖ) for c, s [r, d] (row k = cₖ, sₖ), [d, d], in O(r·d²): M = C S has
    /// displacement rank 2 — shifting both indices gives M[a+1, b+1] = M[a, b] − 2 c[(a+1) mod d]
    /// s[d−1−b] (the one wrapped row of S changes sign) — so the first row and column determine it.
    /// </summary>
    public static float[] Ldr(ReadOnlySpan<float> c, ReadOnlySpan<float> s, int rank)
    {
        if (rank <= 0 || c.Length != s.Length || c.Length % rank != 0) throw new ArgumentException($"ldr factors of {c.Length} and {s.Length} values do not form [{rank}, d]");
        int d = c.Length / rank;
        var sum = new double[(long)d * d];
        var m = new double[(long)d * d];
        for (int k = 0; k < rank; k++)
        {
            var ck = c.Slice(k * d, d);
            var sk = s.Slice(k * d, d);
            // first row: M[0, b] = Σ_j c[(−j) mod d] S[j, b]; first column: M[a, 0] = Σ_j c[(a − j) mod d] s[j]
            for (int b = 0; b < d; b++)
            {
                double acc = 0;
                for (int j = 0; j < d; j++) acc += (double)ck[(d - j) % d] * (j >= b ? sk[j - b] : -sk[j - b + d]);
                m[b] = acc;
            }
            for (int a = 1; a < d; a++)
            {
                double acc = 0;
                for (int j = 0; j < d; j++) acc += (double)ck[(a - j + d) % d] * sk[j];
                m[(long)a * d] = acc;
            }
            for (int a = 0; a + 1 < d; a++)
            {
                double ca = 2.0 * ck[(a + 1) % d];
                for (int b = 0; b + 1 < d; b++) m[(long)(a + 1) * d + b + 1] = m[(long)a * d + b] - ca * sk[d - 1 - b];
            }
            for (long x = 0; x < sum.Length; x++) sum[x] += m[x];
        }
        return Array.ConvertAll(sum, v => (float)v);
    }

    /// <summary>Dense product [rows, inner] × [inner, cols] accumulated in float64 (reference and TARP folding).</summary>
    public static double[] MatMul(ReadOnlySpan<float> left, ReadOnlySpan<float> right, int rows, int inner, int cols)
    {
        var result = new double[(long)rows * cols];
        for (int i = 0; i < rows; i++)
            for (int k = 0; k < inner; k++)
            {
                double l = left[i * inner + k];
                if (l == 0) continue;
                for (int j = 0; j < cols; j++) result[(long)i * cols + j] += l * right[k * cols + j];
            }
        return result;
    }
}
