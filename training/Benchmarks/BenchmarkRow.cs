namespace Adapters.Training.Benchmarks;

/// <summary>One line of <see cref="TrainingBenchmark"/>: a method and config trained on the same task and step budget.</summary>
public sealed record BenchmarkRow(string Method, string Config, long TrainableParameters, double BaseEvalLoss, double FinalEvalLoss, double TokensPerSecond, double Seconds);
