using System.Text;

namespace Adapters.Bench.Serving;

/// <summary>What the store benchmark measured.</summary>
public sealed record StoreResult
{
    public required StoreOptions Options { get; init; }

    /// <summary>Adapters the replica listed in /v1/models after the registration sweep.</summary>
    public required int Registered { get; init; }

    /// <summary>Loads minus evictions the replica reported at the end: adapters in memory.</summary>
    public required double Resident { get; init; }

    public required ServeRunSummary Sweep { get; init; }

    /// <summary>Base-model streams alone, with hits-only adapter traffic, with the store's Zipf traffic (hits and misses), and alone again (the control).</summary>
    public required ServeRunSummary BaseAlone { get; init; }
    public required ServeRunSummary BaseWithHits { get; init; }
    public required ServeRunSummary BaseWithMisses { get; init; }
    public required ServeRunSummary BaseAloneAgain { get; init; }

    public required IReadOnlyList<ServeRequestRecord> StoreRecords { get; init; }
    public required ServeRunSummary HotAdapters { get; init; }

    IEnumerable<ServeRequestRecord> Done(string cache) => StoreRecords.Where(r => r.Outcome == ServeOutcome.Completed && r.Cache == cache);

    public int Hits => Done("hit").Count();
    public int Misses => Done("miss").Count();
    public double HitRate => Hits + Misses == 0 ? 0 : (double)Hits / (Hits + Misses);

    /// <summary>Time to first token of hits and of misses (a miss reads the adapter from disk first).</summary>
    public LatencyStats HitFirstToken => LatencyStats.Of(Done("hit").Select(r => r.FirstToken!.Value * 1000).ToList());
    public LatencyStats MissFirstToken => LatencyStats.Of(Done("miss").Select(r => r.FirstToken!.Value * 1000).ToList());

    public string ToMarkdown()
    {
        var o = Options;
        var text = new StringBuilder();
        text.AppendLine($"## Store: {o.Adapters} adapters registered on one replica, {o.MaxLoadedAdapters} resident, Zipf({o.ZipfExponent}), {o.Concurrency} adapter clients + 1 base-model client, {o.Duration.TotalSeconds:0} s per phase");
        text.AppendLine();
        text.AppendLine($"Registered after the sweep: {Registered} adapters (sweep: {Sweep.Requests} requests, {Sweep.ServerErrors} 5xx); in memory at the end: {Resident:0}.");
        text.AppendLine();
        text.AppendLine($"Store traffic: {Hits + Misses} adapter requests, hit rate {HitRate:P1} ({Hits} hits, {Misses} misses), statuses {string.Join(", ", StoreRecords.GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"))}.");
        text.AppendLine();
        text.AppendLine("| adapter requests | count | TTFT p50 ms | TTFT p99 ms |");
        text.AppendLine("| --- | ---: | ---: | ---: |");
        text.AppendLine($"| hit (in memory) | {HitFirstToken.Count} | {HitFirstToken.P50Ms:0.0} | {HitFirstToken.P99Ms:0.0} |");
        text.AppendLine($"| miss (read from disk) | {MissFirstToken.Count} | {MissFirstToken.P50Ms:0.0} | {MissFirstToken.P99Ms:0.0} |");
        text.AppendLine();
        text.AppendLine("| base-model streams | requests | TTFT p50 ms | TTFT p99 ms | per-token p99 ms | p99 / alone |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, s) in new[] { ("alone", BaseAlone), ($"with hits-only adapter traffic ({o.MaxLoadedAdapters} adapters)", BaseWithHits), ("with the store's traffic (misses)", BaseWithMisses), ("alone again (control)", BaseAloneAgain) })
            text.AppendLine($"| {name} | {s.Completed} | {s.FirstToken.P50Ms:0.0} | {s.FirstToken.P99Ms:0.0} | {s.PerToken.P99Ms:0.00} | {s.FirstToken.P99Ms / BaseAlone.FirstToken.P99Ms:0.00} |");
        text.AppendLine();
        text.AppendLine($"Base TTFT p99 with misses / with hits only: {BaseWithMisses.FirstToken.P99Ms / BaseWithHits.FirstToken.P99Ms:0.00}; control (alone again / alone): {BaseAloneAgain.FirstToken.P99Ms / BaseAlone.FirstToken.P99Ms:0.00}.");
        return text.ToString();
    }
}
