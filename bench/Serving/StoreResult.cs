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

    /// <summary>The resident set requested once before each hits-only window.</summary>
    public required ServeRunSummary WarmUps { get; init; }

    /// <summary>Base-model streams alone, before the windows and after them (the control of consecutive phases).</summary>
    public required ServeRunSummary BaseAlone { get; init; }
    public required ServeRunSummary BaseAloneAgain { get; init; }

    /// <summary>The replica's runtime counters over the two alone phases.</summary>
    public required ServerRuntimeCounters AloneServer { get; init; }
    public required ServerRuntimeCounters AloneAgainServer { get; init; }

    /// <summary>The replica's runtime counters summed over a condition's windows.</summary>
    public ServerRuntimeCounters ServerDuring(StoreCondition condition) => WindowsOf(condition).Aggregate(ServerRuntimeCounters.Zero, (sum, w) => sum + w.Server);

    /// <summary>The interleaved windows, in order (ABBA).</summary>
    public required IReadOnlyList<StoreWindow> Windows { get; init; }

    IReadOnlyList<StoreWindow> WindowsOf(StoreCondition condition) => Windows.Where(w => w.Condition == condition).ToList();

    static ServeRunSummary PooledBase(IEnumerable<StoreWindow> windows) => ServeRunSummary.Of(windows.SelectMany(w => w.Base).ToList());

    /// <summary>A condition's windows split in two: its 1st, 3rd, … windows and its 2nd, 4th, ….</summary>
    (IReadOnlyList<StoreWindow> A, IReadOnlyList<StoreWindow> B) Halves(StoreCondition condition)
    {
        var windows = WindowsOf(condition);
        return (windows.Where((_, i) => i % 2 == 0).ToList(), windows.Where((_, i) => i % 2 == 1).ToList());
    }

    /// <summary>Base-model streams measured in the hits-only windows and in the misses windows, pooled.</summary>
    public ServeRunSummary BaseWithHits => PooledBase(WindowsOf(StoreCondition.HitsOnly));
    public ServeRunSummary BaseWithMisses => PooledBase(WindowsOf(StoreCondition.Misses));

    /// <summary>Base TTFT p99 with misses over with hits only: what the misses cost the base model.</summary>
    public double MissesOverHits => BaseWithMisses.FirstToken.P99Ms / BaseWithHits.FirstToken.P99Ms;

    /// <summary>
    /// Same-condition controls: base TTFT p99 of a condition's 1st, 3rd, … windows over its 2nd, 4th, ….
    /// Both halves had the same traffic, so they differ by noise and drift alone: the misses/hits
    /// ratio means something only where it lies further from 1 than these.
    /// </summary>
    public double HitsControl => HalvesRatio(StoreCondition.HitsOnly);
    public double MissesControl => HalvesRatio(StoreCondition.Misses);

    /// <summary>The control of consecutive phases: two identical phases minutes apart.</summary>
    public double AloneAgainOverAlone => BaseAloneAgain.FirstToken.P99Ms / BaseAlone.FirstToken.P99Ms;

    double HalvesRatio(StoreCondition condition)
    {
        var (a, b) = Halves(condition);
        return PooledBase(a).FirstToken.P99Ms / PooledBase(b).FirstToken.P99Ms;
    }

    /// <summary>Adapter requests of the misses windows (the store's Zipf traffic) and of the hits-only windows.</summary>
    public IReadOnlyList<ServeRequestRecord> StoreRecords => WindowsOf(StoreCondition.Misses).SelectMany(w => w.Adapters).ToList();
    public ServeRunSummary HotAdapters => ServeRunSummary.Of(WindowsOf(StoreCondition.HitsOnly).SelectMany(w => w.Adapters).ToList());

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
        text.AppendLine($"## Store: {o.Adapters} adapters registered on one replica, {o.MaxLoadedAdapters} resident, Zipf({o.ZipfExponent}), {o.Concurrency} adapter clients + 1 base-model client{(o.ThinkTime > TimeSpan.Zero ? $", each waiting {o.ThinkTime.TotalMilliseconds:0} ms between requests" : "")}; "
            + $"{o.Duration.TotalSeconds:0} s alone, {o.Windows} windows of {o.WindowLength.TotalSeconds:0.##} s (hits only / misses, ABBA), {o.Duration.TotalSeconds:0} s alone again");
        text.AppendLine();
        text.AppendLine($"Registered after the sweep: {Registered} adapters (sweep: {Sweep.Requests} requests, {Sweep.ServerErrors} 5xx); in memory at the end: {Resident:0}. "
            + $"Warm-ups before the hits-only windows: {WarmUps.Requests} requests, {WarmUps.ServerErrors} 5xx.");
        text.AppendLine();
        text.AppendLine($"Store traffic (misses windows): {Hits + Misses} adapter requests, hit rate {HitRate:P1} ({Hits} hits, {Misses} misses), statuses {Statuses(StoreRecords)}. "
            + $"Hits-only windows: {HotAdapters.Requests} adapter requests, in memory on arrival: {string.Join(", ", HotAdapters.Cache.Select(c => $"{c.Key} {c.Value}"))}.");
        text.AppendLine();
        text.AppendLine("| adapter requests (misses windows) | count | TTFT p50 ms | TTFT p99 ms |");
        text.AppendLine("| --- | ---: | ---: | ---: |");
        text.AppendLine($"| hit (in memory) | {HitFirstToken.Count} | {HitFirstToken.P50Ms:0.0} | {HitFirstToken.P99Ms:0.0} |");
        text.AppendLine($"| miss (read from disk) | {MissFirstToken.Count} | {MissFirstToken.P50Ms:0.0} | {MissFirstToken.P99Ms:0.0} |");
        text.AppendLine();
        text.AppendLine("| window | condition | span s | base streams measured (dropped) | base TTFT p50 ms | base TTFT p99 ms | adapter requests | misses |");
        text.AppendLine("| ---: | --- | --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var w in Windows)
        {
            var s = ServeRunSummary.Of(w.Base);
            text.AppendLine($"| {w.Index + 1} | {Name(w.Condition)} | {w.Start:0.0}–{w.End:0.0} | {s.Completed} ({w.BaseDropped}) | {s.FirstToken.P50Ms:0.0} | {s.FirstToken.P99Ms:0.0} | {w.Adapters.Count} | {w.Adapters.Count(r => r.Cache == "miss")} |");
        }
        text.AppendLine();
        var (hitsA, hitsB) = Halves(StoreCondition.HitsOnly);
        var (missesA, missesB) = Halves(StoreCondition.Misses);
        text.AppendLine("| base-model streams | requests | TTFT p50 ms | TTFT p99 ms | per-token p99 ms | p99 / alone |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, s) in new[]
        {
            ("alone", BaseAlone),
            ($"with hits-only adapter traffic ({o.MaxLoadedAdapters} adapters), all its windows", BaseWithHits),
            ($"hits only, windows {Numbers(hitsA)} (half A)", PooledBase(hitsA)),
            ($"hits only, windows {Numbers(hitsB)} (half B)", PooledBase(hitsB)),
            ("with the store's traffic (misses), all its windows", BaseWithMisses),
            ($"misses, windows {Numbers(missesA)} (half A)", PooledBase(missesA)),
            ($"misses, windows {Numbers(missesB)} (half B)", PooledBase(missesB)),
            ("alone again", BaseAloneAgain),
        })
            text.AppendLine($"| {name} | {s.Completed} | {s.FirstToken.P50Ms:0.0} | {s.FirstToken.P99Ms:0.0} | {s.PerToken.P99Ms:0.00} | {s.FirstToken.P99Ms / BaseAlone.FirstToken.P99Ms:0.00} |");
        text.AppendLine();
        text.AppendLine($"| replica's runtime (from its /metrics) | MB allocated per s | KB allocated per generated token | GC pause ms per s | replica CPU, cores | machine busy, cores of {Environment.ProcessorCount} |");
        text.AppendLine("| --- | ---: | ---: | ---: | ---: | ---: |");
        foreach (var (name, c) in new[]
        {
            ("alone", AloneServer),
            ("hits-only windows", ServerDuring(StoreCondition.HitsOnly)),
            ("misses windows", ServerDuring(StoreCondition.Misses)),
            ("alone again", AloneAgainServer),
        })
            text.AppendLine($"| {name} | {c.AllocatedMegabytesPerSecond:0.0} | {c.AllocatedKilobytesPerToken:0.0} | {c.GcPauseMillisecondsPerSecond:0.0} | {c.ReplicaCores:0.00} | {c.MachineBusyCores:0.00} |");
        text.AppendLine();
        text.AppendLine($"Base TTFT p99 with misses / with hits only: {MissesOverHits:0.00}. Same-condition controls (half A / half B): hits only {HitsControl:0.00}, misses {MissesControl:0.00}; "
            + $"consecutive phases (alone again / alone): {AloneAgainOverAlone:0.00}.");
        return text.ToString();
    }

    static string Name(StoreCondition condition) => condition == StoreCondition.HitsOnly ? "hits only" : "misses";

    static string Numbers(IEnumerable<StoreWindow> windows) => string.Join(", ", windows.Select(w => w.Index + 1));

    static string Statuses(IEnumerable<ServeRequestRecord> records) =>
        string.Join(", ", records.GroupBy(r => r.Status).OrderBy(g => g.Key).Select(g => $"{g.Key}: {g.Count()}"));
}
