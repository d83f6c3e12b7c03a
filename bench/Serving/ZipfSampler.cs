namespace Adapters.Bench.Serving;

/// <summary>
/// Draws ranks 0..N-1 with P(k) ∝ 1/(k+1)^s (Zipf's law, s = 1.1 in the serving benchmarks of
/// S-LoRA and Punica): a few adapters take most requests and a long tail is asked rarely.
/// Seeded, so two runs draw the same sequence.
/// </summary>
public sealed class ZipfSampler
{
    readonly double[] _cumulative;
    readonly Random _random;

    public ZipfSampler(int count, double exponent, int seed)
    {
        if (count < 1) throw new ArgumentException($"the number of items must be >= 1, got {count}");
        if (!(exponent >= 0) || double.IsInfinity(exponent)) throw new ArgumentException($"the Zipf exponent must be a number >= 0, got {exponent}");
        _cumulative = new double[count];
        double sum = 0;
        for (int k = 0; k < count; k++) _cumulative[k] = sum += Math.Pow(k + 1, -exponent);
        for (int k = 0; k < count; k++) _cumulative[k] /= sum;
        _random = new Random(seed);
    }

    public int Count => _cumulative.Length;

    /// <summary>Probability of rank <paramref name="k"/>.</summary>
    public double Probability(int k) => _cumulative[k] - (k == 0 ? 0 : _cumulative[k - 1]);

    /// <summary>The next rank; safe to call from several threads (draws are then interleaved, still from the same law).</summary>
    public int Next()
    {
        double u;
        lock (_random) u = _random.NextDouble();
        int i = Array.BinarySearch(_cumulative, u);
        return Math.Min(i < 0 ? ~i : i, _cumulative.Length - 1);
    }
}
