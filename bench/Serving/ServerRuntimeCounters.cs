using System.Diagnostics;

namespace Adapters.Bench.Serving;

/// <summary>
/// A replica's managed-runtime totals from its /metrics (allocated bytes, GC pause, tokens generated)
/// at one moment; the difference of two readings is what the replica spent between them. Unlike a
/// latency percentile on this shared machine, these hardly vary between identical runs.
/// </summary>
public sealed record ServerRuntimeCounters(double AllocatedBytes, double GcPauseSeconds, double GeneratedTokens, double Seconds)
{
    public static ServerRuntimeCounters Zero { get; } = new(0, 0, 0, 0);

    static readonly Stopwatch Clock = Stopwatch.StartNew();

    public static async Task<ServerRuntimeCounters> ReadAsync(HttpClient http, Uri replica)
    {
        string text = await http.GetStringAsync(new Uri(replica, "metrics"));
        return new ServerRuntimeCounters(
            PrometheusText.Sum(text, "adapters_process_allocated_bytes_total"),
            PrometheusText.Sum(text, "adapters_process_gc_pause_seconds_total"),
            PrometheusText.Sum(text, "adapters_generated_tokens_total"),
            Clock.Elapsed.TotalSeconds);
    }

    /// <summary>Runs <paramref name="work"/> and returns its result with what the replica spent meanwhile.</summary>
    public static async Task<(T Result, ServerRuntimeCounters Spent)> AroundAsync<T>(HttpClient http, Uri replica, Func<Task<T>> work)
    {
        var before = await ReadAsync(http, replica);
        T result = await work();
        return (result, await ReadAsync(http, replica) - before);
    }

    public static ServerRuntimeCounters operator -(ServerRuntimeCounters end, ServerRuntimeCounters start) => new(
        end.AllocatedBytes - start.AllocatedBytes, end.GcPauseSeconds - start.GcPauseSeconds,
        end.GeneratedTokens - start.GeneratedTokens, end.Seconds - start.Seconds);

    public static ServerRuntimeCounters operator +(ServerRuntimeCounters a, ServerRuntimeCounters b) => new(
        a.AllocatedBytes + b.AllocatedBytes, a.GcPauseSeconds + b.GcPauseSeconds, a.GeneratedTokens + b.GeneratedTokens, a.Seconds + b.Seconds);

    public double AllocatedMegabytesPerSecond => Seconds > 0 ? AllocatedBytes / 1e6 / Seconds : 0;
    public double AllocatedKilobytesPerToken => GeneratedTokens > 0 ? AllocatedBytes / 1e3 / GeneratedTokens : 0;

    /// <summary>Milliseconds per second that every thread of the replica stood still for a collection.</summary>
    public double GcPauseMillisecondsPerSecond => Seconds > 0 ? GcPauseSeconds * 1000 / Seconds : 0;
}
