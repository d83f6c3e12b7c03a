using System.Diagnostics;

namespace Adapters.Bench.Serving;

/// <summary>
/// A replica's managed-runtime totals from its /metrics (allocated bytes, GC pause, tokens generated,
/// CPU time) and the whole machine's busy CPU time (/proc/stat; 0 where there is none) at one
/// moment; the difference of two readings is what was spent between them. Unlike a latency
/// percentile on this shared machine, these hardly vary between identical runs.
/// </summary>
public sealed record ServerRuntimeCounters(double AllocatedBytes, double GcPauseSeconds, double GeneratedTokens, double Seconds,
    double CpuSeconds = 0, double MachineBusySeconds = 0)
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
            Clock.Elapsed.TotalSeconds,
            PrometheusText.Sum(text, "adapters_process_cpu_seconds_total"),
            MachineBusyCoreSeconds());
    }

    /// <summary>
    /// Core-seconds every CPU of the machine spent not idle since boot (/proc/stat's first line:
    /// all but idle and iowait, in clock ticks of 1/100 s); 0 off Linux.
    /// </summary>
    static double MachineBusyCoreSeconds()
    {
        const double TicksPerSecond = 100; // USER_HZ, fixed at 100 in Linux's user-visible interface
        if (!File.Exists("/proc/stat")) return 0;
        string first = File.ReadLines("/proc/stat").First();
        var ticks = first.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Select(t => double.Parse(t, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        double total = ticks.Take(8).Sum(); // user nice system idle iowait irq softirq steal (guest time is inside user)
        return (total - ticks[3] - ticks[4]) / TicksPerSecond;
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
        end.GeneratedTokens - start.GeneratedTokens, end.Seconds - start.Seconds,
        end.CpuSeconds - start.CpuSeconds, end.MachineBusySeconds - start.MachineBusySeconds);

    public static ServerRuntimeCounters operator +(ServerRuntimeCounters a, ServerRuntimeCounters b) => new(
        a.AllocatedBytes + b.AllocatedBytes, a.GcPauseSeconds + b.GcPauseSeconds, a.GeneratedTokens + b.GeneratedTokens, a.Seconds + b.Seconds,
        a.CpuSeconds + b.CpuSeconds, a.MachineBusySeconds + b.MachineBusySeconds);

    public double AllocatedMegabytesPerSecond => Seconds > 0 ? AllocatedBytes / 1e6 / Seconds : 0;
    public double AllocatedKilobytesPerToken => GeneratedTokens > 0 ? AllocatedBytes / 1e3 / GeneratedTokens : 0;

    /// <summary>Cores the replica kept busy on average, and the whole machine (the load generator and anything else too).</summary>
    public double ReplicaCores => Seconds > 0 ? CpuSeconds / Seconds : 0;
    public double MachineBusyCores => Seconds > 0 ? MachineBusySeconds / Seconds : 0;

    /// <summary>Milliseconds per second that every thread of the replica stood still for a collection.</summary>
    public double GcPauseMillisecondsPerSecond => Seconds > 0 ? GcPauseSeconds * 1000 / Seconds : 0;
}
