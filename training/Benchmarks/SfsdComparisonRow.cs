using Adapters.Training.Compression;

namespace Adapters.Training.Benchmarks;

/// <summary>One line of <see cref="ResearchBenchmark.CompareSfsd"/>: a mode at a rank fraction, its stored projection parameters and held-out perplexity.</summary>
public sealed record SfsdComparisonRow(double RankFraction, SfsdMode Mode, long ProjectionParametersBefore, long ProjectionParametersAfter, double BasePerplexity, double Perplexity);
