namespace Adapters.Training.Compression;

/// <summary>One projection's outcome: the chosen rank (null: kept dense), parameters before and after, and held-out perplexity after deciding it.</summary>
public sealed record SfsdLayerReport(int Layer, string Projection, int? Rank, long DenseParameters, long StoredParameters, double Perplexity);
