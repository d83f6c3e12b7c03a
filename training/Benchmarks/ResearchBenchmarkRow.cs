namespace Adapters.Training.Benchmarks;

/// <summary>
/// One line of <see cref="ResearchBenchmark.Run"/>. <paramref name="ChangedParameters"/> counts
/// the weights the adapter actually changes: all trainable ones, except for GMT, whose masked
/// entries may never move (nonzeros of ΔW).
/// </summary>
public sealed record ResearchBenchmarkRow(string Method, string Config, double LearningRate, long TrainableParameters, long ChangedParameters,
    double BaseEvalLoss, double FinalEvalLoss, double TokensPerSecond, double Seconds);
