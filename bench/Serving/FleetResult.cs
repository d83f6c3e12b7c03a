using System.Text;

namespace Adapters.Bench.Serving;

/// <summary>One phase of the fleet benchmark: its traffic and the adapter loads each replica reported (/metrics).</summary>
public sealed record FleetPhase(string Name, ServeRunSummary Summary, IReadOnlyDictionary<string, double> LoadsPerReplica)
{
    public double TotalLoads => LoadsPerReplica.Values.Sum();
}

/// <summary>What the fleet benchmark measured; the integration test asserts on it and the CLI prints it.</summary>
public sealed record FleetResult
{
    public required FleetOptions Options { get; init; }
    public required FleetPhase Affinity { get; init; }
    public required FleetPhase RoundRobin { get; init; }
    public required FleetPhase Kill { get; init; }

    /// <summary>Every request of every phase.</summary>
    public required IReadOnlyList<ServeRequestRecord> AffinityRecords { get; init; }
    public required IReadOnlyList<ServeRequestRecord> KillRecords { get; init; }

    public required string KilledReplica { get; init; }

    /// <summary>Seconds on the kill phase's clock: just before the SIGKILL, once the process had exited, and once it served again.</summary>
    public required double Killing { get; init; }
    public required double KilledAt { get; init; }
    public required double ReturnedAt { get; init; }

    /// <summary>Requests of the kill phase that did not complete.</summary>
    public IReadOnlyList<ServeRequestRecord> Failures => KillRecords.Where(r => r.Outcome != ServeOutcome.Completed).ToList();

    /// <summary>Failures that are not "a stream the killed replica was sending when it died".</summary>
    public IReadOnlyList<ServeRequestRecord> UnexpectedFailures => Failures.Where(r => !(r.Outcome == ServeOutcome.BrokenStream && InFlightAtKill(r))).ToList();

    /// <summary>Streams the killed replica was serving when it died (started before it was gone, ended after the kill began).</summary>
    public int StreamsInFlightAtKill => KillRecords.Count(InFlightAtKill);

    bool InFlightAtKill(ServeRequestRecord r) => r.Stream && r.Replica == KilledReplica && r.Start <= KilledAt && r.End >= Killing;

    /// <summary>Requests the returned replica served once it was back.</summary>
    public int ServedByReturnedReplica => KillRecords.Count(r => r.Start >= ReturnedAt && r.Replica == KilledReplica && r.Outcome == ServeOutcome.Completed);

    /// <summary>
    /// The ring's assignment before the kill and after the return: for each adapter, the replicas its
    /// home-routed requests went to in the affinity phase and once the returned replica was back in
    /// the ring (a probe interval after it served again). Rebalanced means every adapter seen in both
    /// has the one same home in both.
    /// </summary>
    public (int Same, int Compared) Rebalanced()
    {
        var before = Homes(AffinityRecords);
        var after = Homes(KillRecords.Where(r => r.Start >= ReturnedAt + 2 * Options.HealthInterval.TotalSeconds + 0.5));
        var compared = before.Keys.Intersect(after.Keys).ToList();
        return (compared.Count(m => before[m].SetEquals(after[m]) && before[m].Count == 1), compared.Count);
    }

    /// <summary>Requests for the killed replica's adapters that went to it while it was down (should be none: it left the ring).</summary>
    public int RoutedToKilledWhileDown => KillRecords.Count(r => r.Replica == KilledReplica && r.Start > KilledAt + 0.1 && r.End < ReturnedAt && r.Outcome == ServeOutcome.Completed);

    static Dictionary<string, HashSet<string>> Homes(IEnumerable<ServeRequestRecord> records) =>
        records.Where(r => r.Route == "home" && r.Replica is not null && r.Outcome == ServeOutcome.Completed).GroupBy(r => r.Model)
            .ToDictionary(g => g.Key, g => g.Select(r => r.Replica!).ToHashSet(StringComparer.Ordinal));

    public string ToMarkdown()
    {
        var o = Options;
        var text = new StringBuilder();
        text.AppendLine($"## Fleet: {o.Replicas} replicas behind the router, {o.Adapters} adapters, Zipf({o.ZipfExponent}), {o.Concurrency} clients, {o.Duration.TotalSeconds:0} s per phase");
        text.AppendLine();
        text.AppendLine($"Each replica keeps at most {o.MaxLoadedAdapters} adapters in memory (`--max-loaded-adapters`); adapters load lazily from the shared store on first request.");
        text.AppendLine();
        text.AppendLine("| phase | requests | completed | 5xx | adapter loads (per replica) | total loads | loads / adapters |");
        text.AppendLine("| --- | ---: | ---: | ---: | --- | ---: | ---: |");
        foreach (var phase in new[] { Affinity, RoundRobin, Kill })
            text.AppendLine($"| {phase.Name} | {phase.Summary.Requests} | {phase.Summary.Completed} | {phase.Summary.ServerErrors} | {string.Join(", ", phase.LoadsPerReplica.Select(l => $"{l.Value:0}"))} | {phase.TotalLoads:0} | {phase.TotalLoads / o.Adapters:0.00} |");
        text.AppendLine();
        text.AppendLine($"Affinity loads / round-robin loads: {Affinity.TotalLoads / Math.Max(1, RoundRobin.TotalLoads):0.00} (target: affinity ≤ 1.25 × {o.Adapters} = {1.25 * o.Adapters:0}).");
        text.AppendLine();
        var (same, compared) = Rebalanced();
        text.AppendLine($"Kill: {KilledReplica} killed at {KilledAt:0.0} s, serving again at {ReturnedAt:0.0} s. Streams to it in flight around the kill: {StreamsInFlightAtKill}; " +
                        $"failed requests: {Failures.Count} ({Failures.Count(f => f.Outcome == ServeOutcome.BrokenStream)} broken streams), of which not such a stream: {UnexpectedFailures.Count}. " +
                        $"After the return it served {ServedByReturnedReplica} requests; {same} of {compared} adapters had the same single home replica as before the kill; requests it completed while down: {RoutedToKilledWhileDown}.");
        text.AppendLine();
        text.Append(Affinity.Summary.ToMarkdown("affinity phase"));
        text.AppendLine();
        text.Append(RoundRobin.Summary.ToMarkdown("round-robin phase"));
        text.AppendLine();
        text.Append(Kill.Summary.ToMarkdown("kill phase (affinity)"));
        return text.ToString();
    }
}
