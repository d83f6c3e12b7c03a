using System.Text;

namespace Adapters.Bench.Serving;

/// <summary>Figures of one load-generator run: throughput, first-token and per-token percentiles, outcomes, and where requests went.</summary>
public sealed record ServeRunSummary
{
    public required int Requests { get; init; }
    public required double Seconds { get; init; }
    public required int Completed { get; init; }
    public required double RequestsPerSecond { get; init; }
    public required double TokensPerSecond { get; init; }

    /// <summary>Time to first token of completed streams (the whole answer for non-streamed requests is in <see cref="Latency"/>).</summary>
    public required LatencyStats FirstToken { get; init; }
    public required LatencyStats PerToken { get; init; }
    public required LatencyStats Latency { get; init; }

    /// <summary>Requests by HTTP status ("0" = no answer).</summary>
    public required IReadOnlyDictionary<string, int> Statuses { get; init; }
    public required IReadOnlyDictionary<ServeOutcome, int> Outcomes { get; init; }

    /// <summary>Requests by the replica the router named, and by how it was chosen (home, spill, retry, round_robin).</summary>
    public required IReadOnlyDictionary<string, int> Replicas { get; init; }
    public required IReadOnlyDictionary<string, int> Routes { get; init; }

    /// <summary>Adapter requests by the replica's x-adapters-cache answer: hit (in memory on arrival) or miss (read from disk).</summary>
    public required IReadOnlyDictionary<string, int> Cache { get; init; }

    /// <summary>Distinct (model, replica) pairs among answered requests: how many copies of adapters the routing asked for.</summary>
    public required int ModelReplicaPairs { get; init; }

    public int ServerErrors => Statuses.Where(s => int.Parse(s.Key) >= 500).Sum(s => s.Value);

    public static ServeRunSummary Of(IReadOnlyList<ServeRequestRecord> records)
    {
        var done = records.Where(r => r.Outcome == ServeOutcome.Completed).ToList();
        double seconds = records.Count == 0 ? 0 : records.Max(r => r.End) - records.Min(r => r.Start);
        return new ServeRunSummary
        {
            Requests = records.Count,
            Seconds = seconds,
            Completed = done.Count,
            RequestsPerSecond = seconds > 0 ? done.Count / seconds : 0,
            TokensPerSecond = seconds > 0 ? done.Sum(r => r.Tokens) / seconds : 0,
            FirstToken = Ms(done.Where(r => r.Stream).Select(r => r.FirstToken)),
            PerToken = Ms(done.Select(r => r.PerToken)),
            Latency = Ms(done.Select(r => (double?)(r.End - r.Start))),
            Statuses = Count(records.Select(r => r.Status.ToString())),
            Outcomes = records.GroupBy(r => r.Outcome).ToDictionary(g => g.Key, g => g.Count()),
            Replicas = Count(records.Where(r => r.Replica is not null).Select(r => r.Replica!)),
            Routes = Count(records.Where(r => r.Route is not null).Select(r => r.Route!)),
            Cache = Count(records.Where(r => r.Cache is not null).Select(r => r.Cache!)),
            ModelReplicaPairs = records.Where(r => r.Replica is not null && r.Status != 0).Select(r => (r.Model, r.Replica)).Distinct().Count(),
        };
    }

    static LatencyStats Ms(IEnumerable<double?> seconds) => LatencyStats.Of(seconds.Where(s => s is not null).Select(s => s!.Value * 1000).ToList());

    static IReadOnlyDictionary<string, int> Count(IEnumerable<string> keys) =>
        keys.GroupBy(k => k).OrderBy(g => g.Key, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count());

    /// <summary>A few markdown lines: the run's headline figures.</summary>
    public string ToMarkdown(string title)
    {
        var text = new StringBuilder();
        text.AppendLine($"### {title}");
        text.AppendLine();
        text.AppendLine($"- requests: {Requests} in {Seconds:0.0} s, completed {Completed} ({RequestsPerSecond:0.0} req/s, {TokensPerSecond:0} tokens/s)");
        text.AppendLine($"- status counts: {string.Join(", ", Statuses.Select(s => $"{s.Key}: {s.Value}"))}; outcomes: {string.Join(", ", Outcomes.Select(o => $"{o.Key}: {o.Value}"))}");
        text.AppendLine($"- time to first token (streams): p50 {FirstToken.P50Ms:0.0} ms, p99 {FirstToken.P99Ms:0.0} ms; per token: p50 {PerToken.P50Ms:0.00} ms, p99 {PerToken.P99Ms:0.00} ms; request latency p50 {Latency.P50Ms:0.0} ms, p99 {Latency.P99Ms:0.0} ms");
        if (Replicas.Count > 0) text.AppendLine($"- requests per replica: {string.Join(", ", Replicas.Select(r => $"{r.Key} {r.Value}"))}");
        if (Routes.Count > 0) text.AppendLine($"- routes: {string.Join(", ", Routes.Select(r => $"{r.Key} {r.Value}"))}; distinct (model, replica) pairs: {ModelReplicaPairs}");
        if (Cache.Count > 0) text.AppendLine($"- adapter in memory on arrival: {string.Join(", ", Cache.Select(c => $"{c.Key} {c.Value}"))}");
        return text.ToString();
    }
}
