using System.Numerics;
using System.Runtime.InteropServices;

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

    /// <summary>
    /// Index of the largest value; the first one on ties (−0 and +0 tie). NaN never wins, except
    /// at index 0, which nothing then beats (0 for an empty span). Vectorised: one pass finds the
    /// largest value, a second the first index holding it — same result as the scalar scan.
    /// </summary>
    public static int ArgMax(ReadOnlySpan<float> values)
    {
        int n = values.Length;
        if (n < 2 * Vector<float>.Count || !Vector.IsHardwareAccelerated) return ArgMaxScalar(values);
        float first = values[0];
        if (float.IsNaN(first)) return 0; // no comparison with NaN is true: the scan would keep index 0

        // Largest value: lanes keep the maximum of what they saw, ignoring NaN (a > comparison with
        // NaN is false) and keeping the earlier of −0/+0 (equal). Four accumulators hide latency.
        ref float start = ref MemoryMarshal.GetReference(values);
        int width = Vector<float>.Count, last = n - width, i = 0;
        Vector<float> a = new(first), b = a, c = a, d = a;
        for (; i <= n - 4 * width; i += 4 * width)
        {
            var va = Vector.LoadUnsafe(ref start, (nuint)i);
            var vb = Vector.LoadUnsafe(ref start, (nuint)(i + width));
            var vc = Vector.LoadUnsafe(ref start, (nuint)(i + 2 * width));
            var vd = Vector.LoadUnsafe(ref start, (nuint)(i + 3 * width));
            a = Vector.ConditionalSelect(Vector.GreaterThan(va, a), va, a);
            b = Vector.ConditionalSelect(Vector.GreaterThan(vb, b), vb, b);
            c = Vector.ConditionalSelect(Vector.GreaterThan(vc, c), vc, c);
            d = Vector.ConditionalSelect(Vector.GreaterThan(vd, d), vd, d);
        }
        for (; i <= last; i += width)
        {
            var v = Vector.LoadUnsafe(ref start, (nuint)i);
            a = Vector.ConditionalSelect(Vector.GreaterThan(v, a), v, a);
        }
        var tail = Vector.LoadUnsafe(ref start, (nuint)last); // overlaps what was seen: harmless for a maximum
        a = Vector.ConditionalSelect(Vector.GreaterThan(tail, a), tail, a);
        a = Vector.ConditionalSelect(Vector.GreaterThan(b, a), b, a);
        c = Vector.ConditionalSelect(Vector.GreaterThan(d, c), d, c);
        a = Vector.ConditionalSelect(Vector.GreaterThan(c, a), c, a);
        float max = first;
        for (int lane = 0; lane < width; lane++)
            if (a[lane] > max) max = a[lane];

        // First index holding it (== : −0 equals +0, as in the scalar scan; max is not NaN).
        var target = new Vector<float>(max);
        for (i = 0; i <= last; i += width)
            if (Vector.EqualsAny(Vector.LoadUnsafe(ref start, (nuint)i), target)) break;
        for (; i < n; i++)
            if (values[i] == max) return i;
        return 0; // unreachable: max is one of the values
    }

    static int ArgMaxScalar(ReadOnlySpan<float> values)
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
