using System.Text.Json.Serialization;

namespace Adapters.Bench;

/// <summary>Percentiles of a set of latencies in milliseconds (nearest-rank).</summary>
public sealed record LatencyStats
{
    [JsonPropertyName("count")] public int Count { get; init; }
    [JsonPropertyName("mean_ms")] public double MeanMs { get; init; }
    [JsonPropertyName("p50_ms")] public double P50Ms { get; init; }
    [JsonPropertyName("p90_ms")] public double P90Ms { get; init; }
    [JsonPropertyName("p99_ms")] public double P99Ms { get; init; }
    [JsonPropertyName("max_ms")] public double MaxMs { get; init; }

    public static LatencyStats Of(IReadOnlyCollection<double> milliseconds)
    {
        if (milliseconds.Count == 0) return new LatencyStats();
        var sorted = milliseconds.Order().ToArray();
        return new LatencyStats
        {
            Count = sorted.Length,
            MeanMs = sorted.Average(),
            P50Ms = Percentile(sorted, 0.50),
            P90Ms = Percentile(sorted, 0.90),
            P99Ms = Percentile(sorted, 0.99),
            MaxMs = sorted[^1],
        };
    }

    /// <summary>Nearest-rank percentile: with 100 samples p99 is the 99th smallest, not an interpolation.</summary>
    public static double Percentile(double[] sorted, double p) =>
        sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];
}
