using Adapters.Core.Checkpoints;
using Adapters.Core.Model;

namespace Adapters.Bench;

/// <summary>
/// A compressed checkpoint (written by `adapters compress`) checked against the dense base of a
/// bench run: timing it against any other base would make the ratio meaningless, so a fingerprint
/// mismatch is refused, naming the base the checkpoint came from.
/// </summary>
public sealed class CompressedSource
{
    CompressedSource(string path, LlamaWeights weights, long denseParameters, long denseProjectionParameters)
    {
        Path = path;
        Weights = weights;
        long stored = weights.Factorized.Values.Sum(f => f.ParameterCount);
        long replaced = weights.Factorized.Values.Sum(f => Dense(weights.Config, f.Projection));
        ParameterRatio = (double)(denseParameters - replaced + stored) / denseParameters;
        ProjectionParameterRatio = (double)(denseProjectionParameters - replaced + stored) / denseProjectionParameters;
    }

    public string Path { get; }
    public LlamaWeights Weights { get; }
    /// <summary>All stored parameters (embedding and classifier included) over the dense model's.</summary>
    public double ParameterRatio { get; }
    /// <summary>Parameters of the seven projections of every layer over their dense count (what SFSD shrinks).</summary>
    public double ProjectionParameterRatio { get; }

    public static CompressedSource Load(string path, LlamaWeights dense)
    {
        var provenance = HfCheckpoint.IsHfFolder(path) ? CompressionProvenance.TryRead(path) : null;
        var weights = CheckpointLoader.Load(path);
        if (weights.Factorized.Count == 0)
            throw new ArgumentException($"--compressed {path} has no factorised projections: pass a folder written by `adapters compress --out`");
        var expected = ModelFingerprint.Of(dense);
        var actual = ModelFingerprint.Of(weights);
        if (expected != actual)
        {
            string origin = provenance is null ? "" : $" It was compressed from {provenance.Model ?? $"random {provenance.Shape} weights, seed {provenance.Seed ?? 0}"}: bench it with {provenance.BenchArguments}.";
            throw new ArgumentException(
                $"--compressed {path} was not compressed from this run's base ({dense.Source}, {expected}; the checkpoint's is {actual}): "
                + $"its speed-up would compare different models.{origin}");
        }
        long denseParameters = dense.Tensors.Sum(t => (long)t.Data.Length);
        long denseProjections = Enumerable.Range(0, dense.Config.NumLayers).Sum(_ => LlamaTensorNames.Projections.Sum(p => Dense(dense.Config, p)));
        return new CompressedSource(path, weights, denseParameters, denseProjections);
    }

    static long Dense(LlamaConfig config, string projection)
    {
        var (m, n) = LlamaTensorNames.ProjectionShape(config, projection);
        return (long)m * n;
    }
}
