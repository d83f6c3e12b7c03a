namespace Adapters.Core.Adapters.WeightDeltas;

/// <summary>
/// Best rank-k approximation of a dense matrix (Eckart–Young), pure C#: the smaller Gram matrix
/// (MᵀM or MMᵀ, in double) is diagonalised by the cyclic Jacobi eigenvalue algorithm — simple and
/// unconditionally convergent — and M is projected onto its top-k eigenvectors. Used to carry a
/// weight delta that is not low-rank (GMT, structured matrices, tarp-static) as LoRA factors.
/// </summary>
public static class TruncatedSvd
{
    /// <summary>Sweeps after which Jacobi stops even if not converged (it converges quadratically, usually in under 15).</summary>
    const int MaxSweeps = 60;

    /// <summary>An off-diagonal entry this small relative to its diagonal pair is rounding noise and is not rotated away.</summary>
    const double RelativeOffDiagonalTolerance = 1e-15;

    /// <summary>Nor is one this small relative to ‖Gram‖_F (pairs of near-zero eigenvalues of rank-deficient matrices).</summary>
    const double AbsoluteOffDiagonalTolerance = 1e-17;

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
    /// Cyclic Jacobi on symmetric <paramref name="a"/> [n, n] (overwritten). Returns eigenvalues
    /// descending and the matching eigenvectors as rows of an [n, n] array.
    /// </summary>
    static (double[] Values, double[] Vectors) SymmetricEigen(double[] a, int n)
    {
        var vt = new double[(long)n * n]; // Vᵀ: eigenvectors as rows, so rotations touch contiguous rows
        for (int i = 0; i < n; i++) vt[(long)i * n + i] = 1;
        double total = 0;
        foreach (double v in a) total += v * v;
        double floor = AbsoluteOffDiagonalTolerance * Math.Sqrt(total);

        // Sweep until a whole sweep finds nothing worth rotating.
        bool rotated = true;
        for (int sweep = 0; sweep < MaxSweeps && rotated; sweep++)
        {
            rotated = false;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                {
                    long pn = (long)p * n, qn = (long)q * n;
                    double apq = a[pn + q];
                    double app = a[pn + p], aqq = a[qn + q];
                    if (Math.Abs(apq) <= floor || Math.Abs(apq) <= RelativeOffDiagonalTolerance * Math.Sqrt(Math.Abs(app * aqq))) continue;
                    rotated = true;
                    double theta = (aqq - app) / (2 * apq);
                    double t = Math.Sign(theta) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1));
                    if (theta == 0) t = 1;
                    double c = 1 / Math.Sqrt(t * t + 1), s = t * c;

                    // A ← Jᵀ A J: rows p, q rotate; by symmetry columns p, q take the same values.
                    for (int k = 0; k < n; k++)
                    {
                        double ap = a[pn + k], aq = a[qn + k];
                        a[pn + k] = c * ap - s * aq;
                        a[qn + k] = s * ap + c * aq;
                    }
                    for (int k = 0; k < n; k++)
                    {
                        a[(long)k * n + p] = a[pn + k];
                        a[(long)k * n + q] = a[qn + k];
                    }
                    a[pn + p] = app - t * apq;
                    a[qn + q] = aqq + t * apq;
                    a[pn + q] = a[qn + p] = 0;

                    for (int k = 0; k < n; k++)
                    {
                        double vp = vt[pn + k], vq = vt[qn + k];
                        vt[pn + k] = c * vp - s * vq;
                        vt[qn + k] = s * vp + c * vq;
                    }
                }
        }

        var order = Enumerable.Range(0, n).OrderByDescending(i => a[(long)i * n + i]).ToArray();
        var values = order.Select(i => a[(long)i * n + i]).ToArray();
        var vectors = new double[(long)n * n];
        for (int i = 0; i < n; i++) Array.Copy(vt, (long)order[i] * n, vectors, (long)i * n, n);
        return (values, vectors);
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
