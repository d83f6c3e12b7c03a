using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.Training.Engine;
using Adapters.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Compression;

/// <summary>
/// SFSD: replaces linear projections by two smaller matrices (<see cref="SfsdMode"/>). Ranks are
/// chosen greedily from the last layer backwards (down, up, gate, o, v, k, q within a layer): for
/// each projection, the smallest candidate rank that keeps held-out perplexity within
/// (1 + budget) × the base model's, given the projections already compressed; a projection where
/// no rank below the break-even rank (where k·(m + n) [+ m for a bias] reaches m·n) meets it
/// stays dense. Going backwards means every projection's inputs come from still-uncompressed
/// layers, so the output statistics of the feature mode are gathered once, on the base model.
/// </summary>
public static class SfsdCompressor
{
    public static SfsdResult Compress(LlamaWeights weights, ITokenizer tokenizer, string calibrationText, string heldOutText, SfsdOptions options) =>
        Compress(weights, tokenizer.Encode(calibrationText, addBos: true), tokenizer.Encode(heldOutText, addBos: true), options);

    public static SfsdResult Compress(LlamaWeights weights, IReadOnlyList<int> calibration, IReadOnlyList<int> heldOut, SfsdOptions options)
    {
        options.Validate();
        using var session = new Session(weights, calibration, heldOut, options.WindowLength, options.Mode, options.Threads);
        double limit = session.BasePerplexity * (1 + options.PerplexityBudget);
        var reports = new List<SfsdLayerReport>();
        double perplexity = session.BasePerplexity;
        foreach (var (layer, projection) in BackwardOrder(weights.Config))
        {
            var (m, n) = LlamaTensorNames.ProjectionShape(weights.Config, projection);
            int kMax = MaxUsefulRank(m, n, options.Mode);
            var candidates = Enumerable.Range(1, options.RankSteps).Select(j => (int)Math.Ceiling((double)j * kMax / options.RankSteps)).Where(k => k >= 1).Distinct().ToList();
            var tried = new Dictionary<int, double>();
            double Try(int k) => tried.TryGetValue(k, out var p) ? p : tried[k] = session.PerplexityWith(layer, projection, k);
            // Binary search for the smallest passing candidate, assuming perplexity falls with rank.
            int best = -1;
            if (candidates.Count > 0 && Try(candidates[^1]) <= limit)
            {
                best = candidates.Count - 1;
                for (int lo = 0, hi = best - 1; lo <= hi;)
                {
                    int mid = (lo + hi) / 2;
                    if (Try(candidates[mid]) <= limit) { best = mid; hi = mid - 1; }
                    else lo = mid + 1;
                }
            }
            if (best >= 0)
            {
                int k = candidates[best];
                session.Keep(layer, projection, k);
                perplexity = tried[k];
                reports.Add(new SfsdLayerReport(layer, projection, k, (long)m * n, session.Kept[^1].ParameterCount, perplexity));
            }
            else
            {
                session.Restore(layer, projection);
                reports.Add(new SfsdLayerReport(layer, projection, null, (long)m * n, (long)m * n, perplexity));
            }
        }
        var result = session.Result(reports, perplexity);
        if (options.TargetParameterRatio is { } target && result.ParameterRatio > target)
            throw new ArgumentException(
                $"the perplexity budget of +{options.PerplexityBudget:P1} (held-out perplexity ≤ {limit:F3}, base {session.BasePerplexity:F3}) compresses the projections only to {result.ParameterRatio:P1} of their parameters, "
                + $"above the target of {target:P1}: the budget cannot be met; allow a larger perplexity rise or a larger parameter ratio");
        return result;
    }

    /// <summary>
    /// Factorises every projection at the rank <paramref name="rankOf"/>(layer, projection, m, n)
    /// gives (null: dense) and reports held-out perplexity — for comparisons at equal budgets.
    /// </summary>
    public static SfsdResult CompressAtRanks(LlamaWeights weights, IReadOnlyList<int> calibration, IReadOnlyList<int> heldOut, SfsdMode mode,
        Func<int, string, int, int, int?> rankOf, int windowLength = 128, int? threads = null)
    {
        using var session = new Session(weights, calibration, heldOut, windowLength, mode, threads);
        var reports = new List<SfsdLayerReport>();
        foreach (var (layer, projection) in BackwardOrder(weights.Config))
        {
            var (m, n) = LlamaTensorNames.ProjectionShape(weights.Config, projection);
            int? k = rankOf(layer, projection, m, n);
            if (k is { } rank)
            {
                if (rank < 1 || rank > Math.Min(m, n)) throw new ArgumentException($"rank {rank} for {LlamaTensorNames.ProjectionModule(layer, projection)} [{m}, {n}] is outside 1..{Math.Min(m, n)}");
                session.Keep(layer, projection, rank);
            }
            reports.Add(new SfsdLayerReport(layer, projection, k, (long)m * n, k is null ? (long)m * n : session.Kept[^1].ParameterCount, double.NaN));
        }
        return session.Result(reports, session.Perplexity());
    }

    /// <summary>
    /// Every projection at <paramref name="fraction"/> × its break-even rank (<see cref="MaxUsefulRank"/>, at least 1),
    /// no perplexity search: for random-weight shapes, where a perplexity budget means nothing.
    /// </summary>
    public static SfsdResult CompressAtFraction(LlamaWeights weights, IReadOnlyList<int> calibration, IReadOnlyList<int> heldOut, SfsdMode mode,
        double fraction, int windowLength = 128, int? threads = null)
    {
        ValidateFraction(fraction);
        return CompressAtRanks(weights, calibration, heldOut, mode, (_, _, m, n) => RankAtFraction(m, n, mode, fraction), windowLength, threads);
    }

    /// <summary>⌊fraction × break-even rank⌋, at least 1.</summary>
    public static int RankAtFraction(int m, int n, SfsdMode mode, double fraction) =>
        Math.Max(1, (int)(ValidateFraction(fraction) * MaxUsefulRank(m, n, mode)));

    static double ValidateFraction(double fraction) =>
        fraction is > 0 and < 1 ? fraction : throw new ArgumentException($"rank fraction must be in (0, 1) (a fraction of the break-even rank), got {fraction}");

    /// <summary>The largest rank k whose factorisation stores fewer parameters than W [m, n]: k·(m + n) (+ m bias) &lt; m·n.</summary>
    public static int MaxUsefulRank(int m, int n, SfsdMode mode)
    {
        long budget = (long)m * n - (mode == SfsdMode.Feature ? m : 0) - 1;
        return (int)Math.Max(0, budget / (m + n));
    }

    /// <summary>Perplexity of <paramref name="model"/> on <paramref name="tokens"/> in windows of <paramref name="windowLength"/> (capped at the context).</summary>
    public static double Perplexity(LlamaModel model, IReadOnlyList<int> tokens, int windowLength = 128) =>
        Perplexity(model, Windows(tokens, Math.Min(windowLength, model.Config.MaxSeqLen)));

    static IEnumerable<(int Layer, string Projection)> BackwardOrder(LlamaConfig config) =>
        Enumerable.Range(0, config.NumLayers).Reverse().SelectMany(l => LlamaTensorNames.Projections.Reverse().Select(p => (l, p)));

    static List<long[]> Windows(IReadOnlyList<int> tokens, int length)
    {
        var windows = new List<long[]>();
        for (int start = 0; start + 1 < tokens.Count; start += length)
            windows.Add(tokens.Skip(start).Take(length).Select(t => (long)t).ToArray());
        if (windows.Count == 0 || windows[^1].Length < 2) windows.RemoveAll(w => w.Length < 2);
        return windows;
    }

    static double Perplexity(LlamaModel model, IReadOnlyList<long[]> windows)
    {
        using var noGrad = no_grad();
        double total = 0;
        long count = 0;
        foreach (var w in windows)
        {
            using var scope = NewDisposeScope();
            var logits = model.forward(tensor(w[..^1], [1, w.Length - 1]));
            var targets = tensor(w[1..], [w.Length - 1]);
            total += nn.functional.cross_entropy(logits.reshape(-1, logits.shape[^1]), targets, reduction: nn.Reduction.Sum).to(ScalarType.Float64).item<double>();
            count += w.Length - 1;
        }
        return Math.Exp(total / count);
    }

    /// <summary>A model being compressed: the base weights, output statistics, and the projections decided so far.</summary>
    sealed class Session : IDisposable
    {
        readonly LlamaWeights _weights;
        readonly LlamaModel _model;
        readonly OutputStatistics? _statistics;
        readonly List<long[]> _heldOut;
        readonly SfsdMode _mode;
        readonly Dictionary<(int, string), (Tensor Left, Tensor Right)> _bases = [];

        public Session(LlamaWeights weights, IReadOnlyList<int> calibration, IReadOnlyList<int> heldOut, int windowLength, SfsdMode mode, int? threads)
        {
            if (weights.Factorized.Count > 0) throw new ArgumentException($"weights from {weights.Source} are already compressed ({weights.Factorized.Count} factorised projections)");
            if (weights.Config.QkvBias || weights.Config.OutputBias)
                throw new ArgumentException($"weights from {weights.Source} have projection biases ({weights.Config.Family}): SFSD compression of biased projections is not implemented");
            TorchThreads.Apply(threads);
            int length = Math.Min(windowLength, weights.Config.MaxSeqLen);
            var calibrationWindows = Windows(calibration, length);
            _heldOut = Windows(heldOut, length);
            if (calibrationWindows.Count == 0) throw new ArgumentException("the calibration text needs at least two tokens");
            if (_heldOut.Count == 0) throw new ArgumentException("the held-out text needs at least two tokens");
            _weights = weights;
            _mode = mode;
            _model = LlamaModel.FromWeights(weights);
            if (mode == SfsdMode.Feature) _statistics = OutputStatistics.Collect(_model, calibrationWindows);
            BasePerplexity = Perplexity();
        }

        public double BasePerplexity { get; }
        public List<FactorizedProjection> Kept { get; } = [];

        public double Perplexity() => SfsdCompressor.Perplexity(_model, _heldOut);

        public double PerplexityWith(int layer, string projection, int rank)
        {
            Install(Factor(layer, projection, rank));
            return Perplexity();
        }

        public void Keep(int layer, string projection, int rank)
        {
            var f = Factor(layer, projection, rank);
            Install(f);
            Kept.Add(f);
        }

        /// <summary>Puts the dense base projection back, disposing any trial factorisation.</summary>
        public void Restore(int layer, string projection)
        {
            var previous = _model.SetProjection(layer, projection, _model.BaseProjection(layer, projection));
            if (!ReferenceEquals(previous, _model.BaseProjection(layer, projection))) previous.Dispose();
        }

        void Install(FactorizedProjection f)
        {
            Restore(f.Layer, f.Projection);
            CompressedModel.Install(_model, f, ScalarType.Float32, CPU);
        }

        /// <summary>Rank-k factors from the projection's basis (computed once per projection, float64).</summary>
        FactorizedProjection Factor(int layer, string projection, int k)
        {
            using var scope = NewDisposeScope();
            var (left, right) = Basis(layer, projection);
            var u = left.narrow(1, 0, k);                       // [m, k]
            var v = right.narrow(0, 0, k);                      // [k, n]
            Tensor? bias = null;
            if (_mode == SfsdMode.Feature)
            {
                var mean = _statistics![layer, projection].Mean;
                bias = mean - matmul(u, matmul(u.t(), mean));    // (I − V_k V_kᵀ) μ
            }
            TensorData Data(string name, Tensor t) => new(name, t.shape.Select(d => (int)d).ToArray(), t.to(ScalarType.Float32).contiguous().data<float>().ToArray());
            return new FactorizedProjection(layer, projection,
                Data(FactorizedProjection.UName(layer, projection), u), Data(FactorizedProjection.VName(layer, projection), v),
                bias is null ? null : Data(FactorizedProjection.BiasName(layer, projection), bias));
        }

        /// <summary>
        /// Feature: left = eigenvectors of Σ by decreasing eigenvalue [m, m], right = leftᵀ W.
        /// Weight: left = U S, right = Vᵀ of the thin SVD of W.
        /// </summary>
        (Tensor Left, Tensor Right) Basis(int layer, string projection)
        {
            if (_bases.TryGetValue((layer, projection), out var cached)) return cached;
            using var scope = NewDisposeScope();
            var (m, n) = LlamaTensorNames.ProjectionShape(_weights.Config, projection);
            var w = tensor(_weights[LlamaTensorNames.Projection(layer, projection)].Data, [m, n]).to(ScalarType.Float64);
            Tensor left, right;
            if (_mode == SfsdMode.Feature)
            {
                var (_, vectors) = linalg.eigh(_statistics![layer, projection].Covariance);
                left = vectors.flip(1).contiguous();            // eigh sorts ascending
                right = matmul(left.t(), w);
            }
            else
            {
                var (u, s, vh) = linalg.svd(w, fullMatrices: false);
                left = u * s.unsqueeze(0);
                right = vh;
            }
            var result = (left.DetachFromDisposeScope(), right.DetachFromDisposeScope());
            _bases[(layer, projection)] = result;
            return result;
        }

        public SfsdResult Result(IReadOnlyList<SfsdLayerReport> reports, double perplexity) =>
            new(_mode, _weights.WithFactorized(Kept), reports, BasePerplexity, perplexity,
                reports.Sum(r => r.DenseParameters), reports.Sum(r => r.StoredParameters));

        public void Dispose()
        {
            foreach (var (l, r) in _bases.Values) { l.Dispose(); r.Dispose(); }
            _statistics?.Dispose();
            _model.Dispose();
        }
    }
}
