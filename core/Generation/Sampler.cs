using System.Numerics;
using System.Runtime.InteropServices;

namespace Adapters.Core.Generation;

/// <summary>
/// Picks the next token from one row of logits: logit bias and penalties first (on a copy), then
/// argmax at temperature 0, otherwise softmax at the temperature restricted by top-k, the top-p
/// nucleus and min-p. Owns its random state and the request's token history, so one sampler per
/// request makes a seeded request reproducible whatever else runs.
/// </summary>
public sealed class Sampler
{
    readonly SamplingOptions _options;
    readonly Random _random;
    readonly LogitAdjustments? _adjustments;
    float[] _scratch = [];

    /// <param name="promptTokens">The request's prompt; the repetition penalty counts its tokens too.</param>
    public Sampler(SamplingOptions options, IReadOnlyList<int>? promptTokens = null)
    {
        _options = options.Validate();
        _random = options.Seed is int seed ? new Random(seed) : new Random();
        if (options.AdjustsLogits) _adjustments = new LogitAdjustments(options, promptTokens ?? []);
    }

    /// <summary>Chooses the next token and records it in the request's history (for the penalties).</summary>
    public int Sample(ReadOnlySpan<float> logits)
    {
        if (_adjustments is not null)
        {
            if (_scratch.Length != logits.Length) _scratch = new float[logits.Length];
            logits.CopyTo(_scratch);
            _adjustments.Apply(_scratch);
            logits = _scratch;
        }
        int token = _options.Temperature == 0 ? ArgMax(logits) : SampleSoftmax(logits);
        _adjustments?.Record(token);
        return token;
    }

    int SampleSoftmax(ReadOnlySpan<float> logits)
    {
        var probs = Softmax(logits, _options.Temperature);
        double r = _random.NextDouble();
        if (_options.TopK == 0 && _options.TopP >= 1 && _options.MinP == 0) return SampleFull(probs, r);
        return SampleFiltered(probs, _options, r);
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

    /// <summary>
    /// Samples among the tokens that survive top-k, then the top-p nucleus of what is left, then
    /// min-p (relative to the most likely token, so renormalising does not change it).
    /// </summary>
    static int SampleFiltered(double[] probs, SamplingOptions options, double r)
    {
        int[] order = CandidatesByProbability(probs, options);
        int count = order.Length;
        if (options.TopK > 0) count = Math.Min(count, options.TopK);
        if (options.TopP < 1)
        {
            double total = 0;
            for (int i = 0; i < count; i++) total += probs[order[i]];
            double kept = 0;
            int nucleus = 0;
            while (nucleus < count && kept < options.TopP * total) kept += probs[order[nucleus++]];
            count = Math.Max(nucleus, 1);
        }
        if (options.MinP > 0)
        {
            double threshold = options.MinP * probs[order[0]];
            int survivors = 1;
            while (survivors < count && probs[order[survivors]] >= threshold) survivors++;
            count = survivors;
        }
        double mass = 0;
        for (int i = 0; i < count; i++) mass += probs[order[i]];
        double target = r * mass, cumulative = 0;
        for (int i = 0; i < count; i++)
        {
            cumulative += probs[order[i]];
            if (target < cumulative) return order[i];
        }
        return order[count - 1];
    }

    /// <summary>
    /// Token ids most likely first (ties: lower id first). Only top-k tokens are ever needed when
    /// top-k is on, and min-p alone needs only those above its threshold: both shrink the sort.
    /// </summary>
    static int[] CandidatesByProbability(double[] probs, SamplingOptions options)
    {
        IEnumerable<int> ids = Enumerable.Range(0, probs.Length);
        if (options.MinP > 0 && options.TopP >= 1)
        {
            double max = probs.Max(), threshold = options.MinP * max;
            ids = ids.Where(i => probs[i] >= threshold);
        }
        var order = ids.ToArray();
        var keys = new double[order.Length];
        for (int i = 0; i < order.Length; i++) keys[i] = -probs[order[i]];
        Array.Sort(keys, order); // unstable on ties; fine for sampling, which only needs the set and its masses
        return order;
    }
}
