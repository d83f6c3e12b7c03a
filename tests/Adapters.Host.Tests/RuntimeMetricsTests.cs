using System.Globalization;

namespace Adapters.Host.Tests;

/// <summary>/metrics carries the process's allocation and garbage-collection totals, read at each scrape.</summary>
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

    static double Value(string metrics, string series)
    {
        string line = metrics.Split('\n').Single(l => l.StartsWith(series + " ", StringComparison.Ordinal));
        return double.Parse(line[(series.Length + 1)..], CultureInfo.InvariantCulture);
    }
}
