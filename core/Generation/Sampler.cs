namespace Adapters.Core.Generation;

/// <summary>
/// Picks the next token from one row of logits: argmax at temperature 0, otherwise softmax at
/// the temperature, optionally restricted to the top-p nucleus. Owns its random state, so one
/// sampler per request makes a seeded request reproducible whatever else runs.
/// </summary>
public sealed class Sampler
{
    readonly SamplingOptions _options;
    readonly Random _random;

    public Sampler(SamplingOptions options)
    {
        _options = options.Validate();
        _random = options.Seed is int seed ? new Random(seed) : new Random();
    }

    public int Sample(ReadOnlySpan<float> logits)
    {
        if (_options.Temperature == 0) return ArgMax(logits);
        var probs = Softmax(logits, _options.Temperature);
        double r = _random.NextDouble();
        return _options.TopP < 1 ? SampleTopP(probs, _options.TopP, r) : SampleFull(probs, r);
    }

    /// <summary>Index of the largest value; the first one on ties.</summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Length; i++)
            if (values[i] > values[best]) best = i;
        return best;
    }

    public static double[] Softmax(ReadOnlySpan<float> logits, float temperature)
    {
        var probs = new double[logits.Length];
        float max = float.NegativeInfinity;
        foreach (float v in logits) max = Math.Max(max, v);
        double sum = 0;
        for (int i = 0; i < logits.Length; i++) sum += probs[i] = Math.Exp((logits[i] - max) / temperature);
        for (int i = 0; i < probs.Length; i++) probs[i] /= sum;
        return probs;
    }

    static int SampleFull(double[] probs, double r)
    {
        double cumulative = 0;
        for (int i = 0; i < probs.Length; i++)
        {
            cumulative += probs[i];
            if (r < cumulative) return i;
        }
        return probs.Length - 1; // rounding left r just above the total
    }

    static int SampleTopP(double[] probs, float topP, double r)
    {
        int[] order = Enumerable.Range(0, probs.Length).ToArray();
        Array.Sort(order, (a, b) => probs[b].CompareTo(probs[a]));
        double kept = 0;
        int count = 0;
        while (count < order.Length && kept < topP) kept += probs[order[count++]];
        double target = r * kept, cumulative = 0;
        for (int i = 0; i < count; i++)
        {
            cumulative += probs[order[i]];
            if (target < cumulative) return order[i];
        }
        return order[count - 1];
    }
}
