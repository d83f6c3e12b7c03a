using Adapters.Core.Adapters.WeightDeltas;

/// <summary>Truncated SVD gives the best rank-k factors B A and reports ‖M − B A‖ / ‖M‖ exactly.</summary>
public class TruncatedSvdTests
{
    const double ExactTolerance = 1e-5;

    /// <summary>Columns of a random [n, k] matrix with orthonormal columns (Gram–Schmidt, twice for accuracy), row-major.</summary>
    static double[] Orthonormal(int n, int k, int seed)
    {
        var random = new Random(seed);
        var q = new double[n * k];
        for (int x = 0; x < q.Length; x++) q[x] = random.NextDouble() * 2 - 1;
        for (int pass = 0; pass < 2; pass++)
            for (int j = 0; j < k; j++)
            {
                for (int i = 0; i < j; i++)
                {
                    double dot = 0;
                    for (int r = 0; r < n; r++) dot += q[r * k + i] * q[r * k + j];
                    for (int r = 0; r < n; r++) q[r * k + j] -= dot * q[r * k + i];
                }
                double norm = Math.Sqrt(Enumerable.Range(0, n).Sum(r => q[r * k + j] * q[r * k + j]));
                for (int r = 0; r < n; r++) q[r * k + j] /= norm;
            }
        return q;
    }

    /// <summary>U diag(σ) Vᵀ, [m, n], for random orthonormal U, V.</summary>
    static float[] WithSingularValues(int m, int n, double[] sigma, int seed)
    {
        int k = sigma.Length;
        var u = Orthonormal(m, k, seed);
        var v = Orthonormal(n, k, seed + 1);
        var result = new float[m * n];
        for (int r = 0; r < m; r++)
            for (int c = 0; c < n; c++)
            {
                double sum = 0;
                for (int i = 0; i < k; i++) sum += u[r * k + i] * sigma[i] * v[c * k + i];
                result[r * n + c] = (float)sum;
            }
        return result;
    }

    static double MaxAbsDifference(float[] m, TruncatedSvdResult svd, int rows, int cols)
    {
        var product = StructuredMatrices.MatMul(svd.B, svd.A, rows, svd.Rank, cols);
        return m.Select((v, x) => Math.Abs(v - product[x])).Max();
    }

    [Theory]
    [InlineData(12, 8, 3, 3)]
    [InlineData(12, 8, 3, 6)]
    [InlineData(7, 20, 4, 7)] // wide: the Gram matrix is taken on the other side
    [InlineData(16, 16, 1, 2)]
    public void MatrixOfKnownRank_IsReproducedExactly_AtRankAtLeastItsOwn(int rows, int cols, int trueRank, int k)
    {
        var sigma = Enumerable.Range(0, trueRank).Select(i => 3.0 / (i + 1)).ToArray();
        var m = WithSingularValues(rows, cols, sigma, seed: rows + cols + k);

        var svd = TruncatedSvd.Compute(m, rows, cols, k);

        Assert.Equal(rows * k, svd.B.Length);
        Assert.Equal(k * cols, svd.A.Length);
        Assert.InRange(svd.RelativeError, 0, ExactTolerance);
        Assert.InRange(MaxAbsDifference(m, svd, rows, cols), 0, ExactTolerance);
        for (int i = 0; i < trueRank; i++) Assert.Equal(sigma[i], svd.SingularValues[i], 1e-5);
    }

    [Theory]
    [InlineData(10, 6, 1)]
    [InlineData(10, 6, 3)]
    [InlineData(6, 10, 5)]
    public void ErrorBelowTheTrueRank_IsTheTailOfTheSingularValues(int rows, int cols, int k)
    {
        double[] sigma = [5, 3, 2, 1, 0.5, 0.25];
        var m = WithSingularValues(rows, cols, sigma, seed: 42 + k);

        var svd = TruncatedSvd.Compute(m, rows, cols, k);

        double expected = Math.Sqrt(sigma.Skip(k).Sum(s => s * s)) / Math.Sqrt(sigma.Sum(s => s * s));
        Assert.Equal(expected, svd.RelativeError, 1e-5);
        Assert.True(svd.RelativeError > 0);
    }

    [Fact]
    public void EvenSplit_GivesBothFactorsTheSameColumnAndRowNorms()
    {
        double[] sigma = [4, 1];
        var m = WithSingularValues(9, 5, sigma, seed: 7);

        var svd = TruncatedSvd.Compute(m, 9, 5, 2);

        for (int i = 0; i < 2; i++)
        {
            double bColumn = Math.Sqrt(Enumerable.Range(0, 9).Sum(r => (double)svd.B[r * 2 + i] * svd.B[r * 2 + i]));
            double aRow = Math.Sqrt(Enumerable.Range(0, 5).Sum(c => (double)svd.A[i * 5 + c] * svd.A[i * 5 + c]));
            Assert.Equal(Math.Sqrt(sigma[i]), bColumn, 1e-5);
            Assert.Equal(Math.Sqrt(sigma[i]), aRow, 1e-5);
        }
    }

    [Fact]
    public void ZeroMatrix_GivesZeroFactorsAndNoError()
    {
        var svd = TruncatedSvd.Compute(new float[12], 3, 4, 2);

        Assert.All(svd.B, v => Assert.Equal(0, v));
        Assert.All(svd.A, v => Assert.Equal(0, v));
        Assert.Equal(0, svd.RelativeError);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    public void RankOutsideOneToMinDimension_IsRefused(int k)
    {
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => TruncatedSvd.Compute(new float[20], 4, 5, k));
        Assert.Contains("min(rows, cols) = 4", error.Message);
    }

    [Fact]
    public void Projection_of_a_realistic_shape_reports_the_error_its_singular_values_imply()
    {
        // The 15M shape's up_proj [768, 288]: noise dense in every direction, so truncation loses the tail.
        const int Rows = 768, Cols = 288, K = 16;
        var random = new Random(3);
        var m = Enumerable.Range(0, Rows * Cols).Select(_ => (float)(random.NextDouble() - 0.5)).ToArray();

        var svd = TruncatedSvd.Compute(m, Rows, Cols, K);

        double total = svd.SingularValues.Sum(v => v * v);
        double tail = svd.SingularValues.Skip(K).Sum(v => v * v);
        Assert.Equal(Math.Sqrt(tail / total), svd.RelativeError, 3);
        Assert.Equal(Rows * K, svd.B.Length);
        Assert.Equal(K * Cols, svd.A.Length);
    }
}
