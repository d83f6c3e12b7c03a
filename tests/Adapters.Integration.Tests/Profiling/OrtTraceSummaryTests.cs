using System.Text.Json;
using Adapters.Bench.Profiling;
using Adapters.TestSupport;

namespace Adapters.Integration.Tests.Profiling;

/// <summary>The profile's summary reads only the profiled generation: the warm-up's runs and its own prefill are left out.</summary>
public sealed class OrtTraceSummaryTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder("trace-summary");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A Chrome trace of runs (each given as its kernels' durations), one after the other.</summary>
    string Trace(params double[][] runs)
    {
        var events = new List<object>();
        double ts = 0;
        foreach (var kernels in runs)
        {
            double start = ts;
            foreach (double d in kernels)
            {
                events.Add(new { cat = "Node", name = "n_kernel_time", ts, dur = d, args = new { op_name = "MatMul" } });
                ts += d + 1;
            }
            events.Add(new { cat = "Session", name = "model_run", ts = start, dur = ts - start });
            ts += 10;
        }
        string path = Path.Combine(_dir, $"trace-{Guid.NewGuid():N}.json");
        File.WriteAllText(path, JsonSerializer.Serialize(events));
        return path;
    }

    [Fact]
    public void Warm_up_runs_and_the_profiled_prefill_are_left_out()
    {
        // Warm-up: a prefill and two steps of 100 µs kernels; profiled: a prefill (50) and two steps (1 and 2).
        string trace = Trace([100, 100], [100], [100], [50, 50], [1], [2]);

        var summary = OrtTraceSummary.Read(trace, warmupRuns: 3);

        Assert.Equal(2, summary.DecodeRuns);
        Assert.Equal(3, summary.KernelMicroseconds);
        Assert.Equal([2.0, 3.0], summary.DecodeRunMicroseconds); // each run: its kernel and the 1 µs after it
        var op = Assert.Single(summary.Ops);
        Assert.Equal(1, op.NodesPerRun);
    }

    [Fact]
    public void Too_few_runs_after_the_warm_up_are_refused_naming_them()
    {
        string trace = Trace([1], [1], [1]);
        var e = Assert.Throws<InvalidDataException>(() => OrtTraceSummary.Read(trace, warmupRuns: 2));
        Assert.Contains("1 model runs after 2 of warm-up", e.Message);
    }
}
