using Adapters.Core.Adapters.WeightDeltas;

/// <summary>Core's dense structured matrices follow their defining formulas.</summary>
public class StructuredMatricesTests
{
    const double Tolerance = 1e-5;

    static float[] Randoms(int n, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
    }

    [Theory]
    [InlineData(1, 6)]
    [InlineData(2, 9)]
    [InlineData(3, 16)]
    public void Ldr_Recurrence_EqualsTheSumOfCirculantTimesSkewCirculantProducts(int rank, int d)
    {
        var c = Randoms(rank * d, 1);
        var s = Randoms(rank * d, 2);
        var expected = new double[d * d];
        for (int k = 0; k < rank; k++)
        {
            var product = StructuredMatrices.MatMul(StructuredMatrices.Circulant(c.AsSpan(k * d, d)), StructuredMatrices.SkewCirculant(s.AsSpan(k * d, d)), d, d, d);
            for (int x = 0; x < expected.Length; x++) expected[x] += product[x];
        }

        var actual = StructuredMatrices.Ldr(c, s, rank);

        for (int x = 0; x < expected.Length; x++) Assert.InRange(Math.Abs(actual[x] - expected[x]), 0, Tolerance);
    }

    [Fact]
    public void Circulant_Toeplitz_SkewCirculant_Kronecker_FollowTheirFormulas()
    {
        float[] v = [1, 2, 3, 4];
        Assert.Equal([1, 4, 3, 2, 2, 1, 4, 3, 3, 2, 1, 4, 4, 3, 2, 1], StructuredMatrices.Circulant(v));
        Assert.Equal([1, -4, -3, -2, 2, 1, -4, -3, 3, 2, 1, -4, 4, 3, 2, 1], StructuredMatrices.SkewCirculant(v));
        // [2, 3]: T[i, j] = t[i − j + 2]
        Assert.Equal([3, 2, 1, 4, 3, 2], StructuredMatrices.Toeplitz(v, 2, 3));
        // [1 2] ⊗ [[1], [10]] = [[1, 2], [10, 20]]
        Assert.Equal([1, 2, 10, 20], StructuredMatrices.Kronecker([1, 2], 1, 2, [1, 10], 2, 1));
    }

    [Theory]
    [InlineData(64, 64, 8, 8, 8, 8)]
    [InlineData(172, 64, 4, 8, 43, 8)]
    [InlineData(32, 64, 4, 8, 8, 8)]
    public void KroneckerFactors_AreTheMostSquareSplit(int o, int i, int o1, int i1, int o2, int i2) =>
        Assert.Equal(new KroneckerFactors(o1, i1, o2, i2), KroneckerFactors.Of(o, i));
}
