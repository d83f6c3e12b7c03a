namespace Adapters.Core.Adapters.WeightDeltas;

/// <summary>
/// Best rank-k approximation of a dense matrix (Eckart–Young), pure C#: the smaller Gram matrix
/// (MᵀM or MMᵀ, in double) is diagonalised (Householder + implicit QL, stable and O(n³)) and M is
/// projected onto its top-k eigenvectors. Used to carry a
/// weight delta that is not low-rank (GMT, structured matrices, tarp-static) as LoRA factors.
/// </summary>
public static class TruncatedSvd
{
    /// <summary>Unit roundoff of double: QL deflates a sub-diagonal entry this small relative to the matrix.</summary>
    const double MachineEpsilon = 2.220446049250313e-16;

    /// <summary>QL takes 1–3 iterations per eigenvalue; far more means a broken input (NaN).</summary>
    const int MaxQlIterations = 100;

    /// <summary>Singular values at or below this fraction of the largest are treated as zero (their vectors are noise).</summary>
    const double NegligibleSingularValue = 1e-12;

    /// <summary>Factorises <paramref name="matrix"/> [rows, cols] (row-major) to rank <paramref name="rank"/>, 1 ≤ rank ≤ min(rows, cols).</summary>
    public static TruncatedSvdResult Compute(float[] matrix, int rows, int cols, int rank)
    {
        ArgumentNullException.ThrowIfNull(matrix);
        if (rows < 1 || cols < 1) throw new ArgumentException($"matrix shape [{rows}, {cols}] must be positive");
        if (matrix.LongLength != (long)rows * cols)
            throw new ArgumentException($"matrix has {matrix.LongLength} values, expected {rows} × {cols} = {(long)rows * cols}");
        int full = Math.Min(rows, cols);
        if (rank < 1 || rank > full)
            throw new ArgumentOutOfRangeException(nameof(rank), rank,
                $"SVD rank must be between 1 and min(rows, cols) = {full} for a [{rows}, {cols}] matrix");

        // Work on the orientation whose Gram matrix is the smaller one: M [m, n] with n ≤ m.
        bool transposed = cols > rows;
        double[] m = transposed ? Transpose(matrix, rows, cols) : Array.ConvertAll(matrix, v => (double)v);
        int mr = transposed ? cols : rows, nc = full;

        var (eigenvalues, eigenvectors) = SymmetricEigen(Gram(m, mr, nc), nc); // eigenvectors: rows, sorted descending
        var singular = eigenvalues.Select(l => Math.Sqrt(Math.Max(l, 0))).ToArray();
        double negligible = singular[0] * NegligibleSingularValue;

        // M ≈ (M V_k) V_kᵀ = U S Vᵀ; split S evenly: left = U√S = M v_i / √σ_i, right = √σ_i v_iᵀ.
        var left = new double[(long)mr * rank];   // [mr, k]
        var right = new double[(long)rank * nc];  // [k, nc]
        for (int i = 0; i < rank; i++)
        {
            if (singular[i] <= negligible) continue; // no direction left: a zero factor pair
            double root = Math.Sqrt(singular[i]);
            for (int c = 0; c < nc; c++) right[(long)i * nc + c] = root * eigenvectors[(long)i * nc + c];
            for (int r = 0; r < mr; r++)
            {
                double dot = 0;
                for (int c = 0; c < nc; c++) dot += m[(long)r * nc + c] * eigenvectors[(long)i * nc + c];
                left[(long)r * rank + i] = dot / root;
            }
        }

        // Original orientation: M = left · right, or Mᵀ = left · right ⇒ M = rightᵀ · leftᵀ.
        float[] b = transposed ? ToFloat(Transpose(right, rank, nc)) : ToFloat(left);
        float[] a = transposed ? ToFloat(Transpose(left, mr, rank)) : ToFloat(right);
        var (residual, norm) = Residual(matrix, b, a, rows, cols, rank);
        return new TruncatedSvdResult { Rank = rank, B = b, A = a, SingularValues = singular, ResidualNorm = residual, Norm = norm };
    }

    /// <summary>MᵀM [n, n] of M [m, n].</summary>
    static double[] Gram(double[] m, int rows, int n)
    {
        var g = new double[(long)n * n];
        for (int r = 0; r < rows; r++)
        {
            long row = (long)r * n;
            for (int i = 0; i < n; i++)
            {
                double v = m[row + i];
                if (v == 0) continue;
                long gi = (long)i * n;
                for (int j = i; j < n; j++) g[gi + j] += v * m[row + j];
            }
        }
        for (int i = 0; i < n; i++)
            for (int j = 0; j < i; j++) g[(long)i * n + j] = g[(long)j * n + i];
        return g;
    }

    /// <summary>
    /// Eigen-decomposition of symmetric <paramref name="gram"/> [n, n]: Householder reduction to
    /// tridiagonal form, then the implicit QL algorithm (the classic tred2/tql2 pair, as in
    /// EISPACK/JAMA) — O(n³) with few passes, so a 768-wide Gram matrix takes about a second.
    /// Returns eigenvalues descending and the matching eigenvectors as rows of an [n, n] array.
    /// </summary>
    static (double[] Values, double[] Vectors) SymmetricEigen(double[] gram, int n)
    {
        var v = new double[n][];
        for (int i = 0; i < n; i++) v[i] = gram.AsSpan(i * n, n).ToArray();
        var d = new double[n];
        var e = new double[n];
        Tridiagonalize(v, d, e, n);
        var vt = new double[n][]; // eigenvectors as rows, so QL's rotations touch contiguous memory
        for (int i = 0; i < n; i++)
        {
            vt[i] = new double[n];
            for (int k = 0; k < n; k++) vt[i][k] = v[k][i];
        }
        DiagonalizeTridiagonal(vt, d, e, n);

        var order = Enumerable.Range(0, n).OrderByDescending(i => d[i]).ToArray();
        var vectors = new double[(long)n * n];
        for (int i = 0; i < n; i++) Array.Copy(vt[order[i]], 0, vectors, (long)i * n, n);
        return (order.Select(i => d[i]).ToArray(), vectors);
    }

    /// <summary>Householder tridiagonalisation (tred2): v ← the orthogonal transform, d ← diagonal, e ← sub-diagonal.</summary>
    static void Tridiagonalize(double[][] v, double[] d, double[] e, int n)
    {
        for (int j = 0; j < n; j++) d[j] = v[n - 1][j];
        for (int i = n - 1; i > 0; i--)
        {
            double scale = 0, h = 0;
            for (int k = 0; k < i; k++) scale += Math.Abs(d[k]);
            if (scale == 0)
            {
                e[i] = d[i - 1];
                for (int j = 0; j < i; j++)
                {
                    d[j] = v[i - 1][j];
                    v[i][j] = 0;
                    v[j][i] = 0;
                }
            }
            else
            {
                for (int k = 0; k < i; k++)
                {
                    d[k] /= scale;
                    h += d[k] * d[k];
                }
                double f = d[i - 1];
                double g = Math.Sqrt(h);
                if (f > 0) g = -g;
                e[i] = scale * g;
                h -= f * g;
                d[i - 1] = f - g;
                for (int j = 0; j < i; j++) e[j] = 0;
                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    v[j][i] = f;
                    g = e[j] + v[j][j] * f;
                    for (int k = j + 1; k <= i - 1; k++)
                    {
                        g += v[k][j] * d[k];
                        e[k] += v[k][j] * f;
                    }
                    e[j] = g;
                }
                f = 0;
                for (int j = 0; j < i; j++)
                {
                    e[j] /= h;
                    f += e[j] * d[j];
                }
                double hh = f / (h + h);
                for (int j = 0; j < i; j++) e[j] -= hh * d[j];
                for (int j = 0; j < i; j++)
                {
                    f = d[j];
                    g = e[j];
                    for (int k = j; k <= i - 1; k++) v[k][j] -= f * e[k] + g * d[k];
                    d[j] = v[i - 1][j];
                    v[i][j] = 0;
                }
            }
            d[i] = h;
        }

        // Accumulate the transformations.
        for (int i = 0; i < n - 1; i++)
        {
            v[n - 1][i] = v[i][i];
            v[i][i] = 1;
            double h = d[i + 1];
            if (h != 0)
            {
                for (int k = 0; k <= i; k++) d[k] = v[k][i + 1] / h;
                for (int j = 0; j <= i; j++)
                {
                    double g = 0;
                    for (int k = 0; k <= i; k++) g += v[k][i + 1] * v[k][j];
                    for (int k = 0; k <= i; k++) v[k][j] -= g * d[k];
                }
            }
            for (int k = 0; k <= i; k++) v[k][i + 1] = 0;
        }
        for (int j = 0; j < n; j++)
        {
            d[j] = v[n - 1][j];
            v[n - 1][j] = 0;
        }
        v[n - 1][n - 1] = 1;
        e[0] = 0;
    }

    /// <summary>Implicit QL on the tridiagonal (d, e) (tql2); vt's rows are rotated into the eigenvectors.</summary>
    static void DiagonalizeTridiagonal(double[][] vt, double[] d, double[] e, int n)
    {
        for (int i = 1; i < n; i++) e[i - 1] = e[i];
        e[n - 1] = 0;
        double f = 0, tst1 = 0;
        for (int l = 0; l < n; l++)
        {
            tst1 = Math.Max(tst1, Math.Abs(d[l]) + Math.Abs(e[l]));
            int m = l;
            while (m < n - 1 && Math.Abs(e[m]) > MachineEpsilon * tst1) m++;
            if (m > l)
            {
                int iterations = 0;
                do
                {
                    if (++iterations > MaxQlIterations) throw new InvalidOperationException("truncated SVD: the QL eigenvalue iteration did not converge");
                    double g = d[l];
                    double p = (d[l + 1] - g) / (2 * e[l]);
                    double r = Hypot(p, 1);
                    if (p < 0) r = -r;
                    d[l] = e[l] / (p + r);
                    d[l + 1] = e[l] * (p + r);
                    double dl1 = d[l + 1];
                    double h = g - d[l];
                    for (int i = l + 2; i < n; i++) d[i] -= h;
                    f += h;

                    p = d[m];
                    double c = 1, c2 = c, c3 = c;
                    double el1 = e[l + 1];
                    double s = 0, s2 = 0;
                    for (int i = m - 1; i >= l; i--)
                    {
                        c3 = c2;
                        c2 = c;
                        s2 = s;
                        g = c * e[i];
                        h = c * p;
                        r = Hypot(p, e[i]);
                        e[i + 1] = s * r;
                        s = e[i] / r;
                        c = p / r;
                        p = c * d[i] - s * g;
                        d[i + 1] = h + s * (c * g + s * d[i]);
                        double[] vi = vt[i], vi1 = vt[i + 1];
                        for (int k = 0; k < n; k++)
                        {
                            h = vi1[k];
                            vi1[k] = s * vi[k] + c * h;
                            vi[k] = c * vi[k] - s * h;
                        }
                    }
                    p = -s * s2 * c3 * el1 * e[l] / dl1;
                    e[l] = s * p;
                    d[l] = c * p;
                }
                while (Math.Abs(e[l]) > MachineEpsilon * tst1);
            }
            d[l] += f;
            e[l] = 0;
        }
    }

    static double Hypot(double a, double b)
    {
        double x = Math.Abs(a), y = Math.Abs(b);
        if (x < y) (x, y) = (y, x);
        if (x == 0) return 0;
        double ratio = y / x;
        return x * Math.Sqrt(1 + ratio * ratio);
    }

    /// <summary>(‖M − B A‖_F, ‖M‖_F) in double.</summary>
    static (double Residual, double Norm) Residual(float[] m, float[] b, float[] a, int rows, int cols, int k)
    {
        double residual = 0, norm = 0;
        var row = new double[cols];
        for (int r = 0; r < rows; r++)
        {
            Array.Clear(row);
            for (int i = 0; i < k; i++)
            {
                double bri = b[(long)r * k + i];
                if (bri == 0) continue;
                long ai = (long)i * cols;
                for (int c = 0; c < cols; c++) row[c] += bri * a[ai + c];
            }
            for (int c = 0; c < cols; c++)
            {
                double v = m[(long)r * cols + c];
                norm += v * v;
                double d = v - row[c];
                residual += d * d;
            }
        }
        return (Math.Sqrt(residual), Math.Sqrt(norm));
    }

    static double[] Transpose(float[] m, int rows, int cols)
    {
        var t = new double[(long)rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[(long)c * rows + r] = m[(long)r * cols + c];
        return t;
    }

    static double[] Transpose(double[] m, int rows, int cols)
    {
        var t = new double[(long)rows * cols];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++) t[(long)c * rows + r] = m[(long)r * cols + c];
        return t;
    }

    static float[] ToFloat(double[] values) => Array.ConvertAll(values, v => (float)v);
}
