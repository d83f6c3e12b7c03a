using System.Globalization;

namespace Adapters.Host.Tests;

/// <summary>/metrics carries the process's allocation, garbage-collection and CPU totals, read at each scrape.</summary>
public sealed class RuntimeMetricsTests
{
    [Fact]
    public async Task Allocations_and_collections_are_totals_that_grow_between_scrapes()
    {
        await using var fake = await FakeServer.StartAsync(new FakeBackend());
        string before = await fake.Client.GetStringAsync("/metrics");
        for (int i = 0; i < 3; i++) await fake.Client.PostJsonAsync("/v1/completions", fake.Body(stream: true));
        // A full collection: the GC may raise a requested gen-0 collection to an older generation,
        // never a gen-2 one, so this one is counted under generation 2 whatever else runs.
        GC.Collect(2, GCCollectionMode.Forced, blocking: true);
        string after = await fake.Client.GetStringAsync("/metrics");

        Assert.True(Value(after, "adapters_process_allocated_bytes_total") > Value(before, "adapters_process_allocated_bytes_total"));
        Assert.True(Value(after, "adapters_process_gc_collections_total{generation=\"2\"}") > Value(before, "adapters_process_gc_collections_total{generation=\"2\"}"),
            "a forced full collection between the scrapes is counted under generation 2");
        Assert.True(Value(after, "adapters_process_gc_pause_seconds_total") > Value(before, "adapters_process_gc_pause_seconds_total"),
            "a blocking collection between the scrapes adds pause time");
        Assert.Contains("adapters_process_gc_collections_total{generation=\"0\"}", after);
    }

    [Fact]
    public async Task Cpu_seconds_count_the_processs_cpu_time()
    {
        await using var fake = await FakeServer.StartAsync(new FakeBackend());
        string before = await fake.Client.GetStringAsync("/metrics");
        // Burn 200 ms of this process's CPU, as the runtime's own counter (not the metric's source) sees it.
        var start = Environment.CpuUsage.TotalTime;
        double sink = 0;
        while (Environment.CpuUsage.TotalTime - start < TimeSpan.FromMilliseconds(200))
            for (int i = 1; i < 100_000; i++) sink += Math.Sqrt(i);
        string after = await fake.Client.GetStringAsync("/metrics");

        double grown = Value(after, "adapters_process_cpu_seconds_total") - Value(before, "adapters_process_cpu_seconds_total");
        Assert.True(grown >= 0.19, $"200 ms of CPU burnt between the scrapes, the metric grew {grown:0.000} s (sink {sink:0})");
    }

    static double Value(string metrics, string series)
    {
        string line = metrics.Split('\n').Single(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
