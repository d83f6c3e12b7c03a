using Adapters.Core.Model;

namespace Adapters.Training.Compression;

/// <summary>
/// A compressed model and its report. <see cref="Weights"/> holds the factorised projections
/// (<see cref="LlamaWeights.Factorized"/>); HfCheckpoint.Write saves it as a compressed folder.
/// Parameter counts cover the seven projections of every layer (embeddings and norms are unchanged).
/// </summary>
public sealed record SfsdResult(SfsdMode Mode, LlamaWeights Weights, IReadOnlyList<SfsdLayerReport> Layers,
    double BasePerplexity, double Perplexity, long ProjectionParametersBefore, long ProjectionParametersAfter)
{
    public double ParameterRatio => (double)ProjectionParametersAfter / ProjectionParametersBefore;
}
