namespace Adapters.Training.Compression;

/// <summary>How <see cref="SfsdCompressor.Compress"/> chooses ranks.</summary>
public sealed record SfsdOptions
{
    public SfsdMode Mode { get; init; } = SfsdMode.Feature;
    /// <summary>Allowed relative rise of held-out perplexity over the base model's, e.g. 0.05 = 5 %.</summary>
    public double PerplexityBudget { get; init; } = 0.05;
    /// <summary>
    /// Optional: the compressed projections must hold at most this fraction of the dense
    /// projections' parameters; when the perplexity budget does not allow it, compression fails.
    /// </summary>
    public double? TargetParameterRatio { get; init; }
    /// <summary>Candidate ranks per layer: ⌈j · k_max / RankSteps⌉, j = 1..RankSteps, k_max the largest rank that saves parameters.</summary>
    public int RankSteps { get; init; } = 8;
    /// <summary>Tokens per evaluation window (capped at the model's context).</summary>
    public int WindowLength { get; init; } = 128;
    /// <summary>libtorch CPU threads (null or 0: all cores).</summary>
    public int? Threads { get; init; }

    public SfsdOptions Validate()
    {
        if (!(PerplexityBudget >= 0) || double.IsInfinity(PerplexityBudget)) throw new ArgumentException($"perplexity budget must be a relative rise >= 0, got {PerplexityBudget}");
        if (TargetParameterRatio is { } r && !(r > 0 && r <= 1)) throw new ArgumentException($"target parameter ratio must be in (0, 1], got {r}");
        if (RankSteps <= 0) throw new ArgumentException($"rank steps must be positive, got {RankSteps}");
        if (WindowLength < 2) throw new ArgumentException($"window length must be at least 2 tokens, got {WindowLength}");
        if (Threads is < 0) throw new ArgumentException($"threads must be >= 0 (0 = all cores), got {Threads}");
        return this;
    }
}
