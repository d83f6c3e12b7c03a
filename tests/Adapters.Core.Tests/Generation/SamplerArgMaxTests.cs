using Adapters.Core.Generation;

namespace Adapters.Core.Tests.Generation;

/// <summary>The vectorised ArgMax picks what the plain left-to-right scan picks, edge cases included.</summary>
public sealed class SamplerArgMaxTests
{
    static int Scan(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    [Fact]
    public void RandomValues_AnyLength_MatchTheScan()
    {
        var rng = new Random(7);
        foreach (int length in Enumerable.Range(0, 80).Concat([127, 128, 129, 511, 512, 32000, 32001]))
            for (int trial = 0; trial < 20; trial++)
            {
                // Few distinct values so ties are common; sometimes NaN, −0/+0 and infinities.
                var values = new float[length];
                for (int i = 0; i < length; i++)
                    values[i] = rng.Next(12) switch
                    {
                        0 => float.NaN,
                        1 => -0f,
                        2 => 0f,
                        3 => rng.Next(50) == 0 ? float.PositiveInfinity : float.NegativeInfinity,
                        _ => rng.Next(-4, 5) * (trial % 2 == 0 ? 1f : 0.25f),
                    };
                Assert.Equal(Scan(values), Sampler.ArgMax(values));
            }
    }

    [Fact]
    public void EdgeCases_MatchTheScan()
    {
        float[][] cases =
        [
            Enumerable.Repeat(float.NaN, 100).ToArray(),                              // NaN first: index 0
            [float.NaN, .. Enumerable.Range(0, 99).Select(i => (float)i)],            // NaN first: nothing beats it
            [1f, .. Enumerable.Repeat(float.NaN, 99)],                                 // NaN never wins later
            [-0f, .. Enumerable.Repeat(0f, 99)],                                       // −0 and +0 tie: the first
            [-1f, .. Enumerable.Repeat(-0f, 40), .. Enumerable.Repeat(0f, 59)],
            Enumerable.Repeat(float.NegativeInfinity, 100).ToArray(),
            [.. Enumerable.Repeat(3f, 64), .. Enumerable.Repeat(5f, 36)],              // tie run at the end (overlapping tail load)
            [.. Enumerable.Range(0, 99).Select(i => (float)-i), 1f],                   // maximum in the last element
        ];
        foreach (var values in cases) Assert.Equal(Scan(values), Sampler.ArgMax(values));
    }
}
