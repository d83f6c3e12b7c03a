using System.Globalization;

namespace Adapters.Bench.Profiling;

/// <summary>
/// What a decode step costs outside ONNX Runtime's run: the step's wall time (forward + greedy
/// sampling, as the caller sees it) minus the run's own duration from the profiler's trace, per
/// step; and the managed allocations, garbage collections and page faults of the decode steps.
/// </summary>
public sealed record HostWorkSummary(int Steps, double StepP50Microseconds, double RunP50Microseconds, double HostP50Microseconds,
    double HostP90Microseconds, double AllocatedBytesPerStep, int Gen0Collections, int Gen2Collections, double? PageFaultsPerStep)
{
    /// <param name="stepMicroseconds">Wall time of each decode step, in order.</param>
    /// <param name="runMicroseconds">The trace's model_run durations of those steps, in order.</param>
    /// <param name="pageFaults">Minor page faults over the steps (memory touched for the first time); null where the system does not say.</param>
    public static HostWorkSummary Of(IReadOnlyList<double> stepMicroseconds, IReadOnlyList<double> runMicroseconds, long allocatedBytes, int gen0, int gen2,
        long? pageFaults = null)
    {
        int n = Math.Min(stepMicroseconds.Count, runMicroseconds.Count);
        if (n == 0) throw new ArgumentException("no decode step to summarise");
        var host = Enumerable.Range(0, n).Select(i => stepMicroseconds[i] - runMicroseconds[i]).ToList();
        return new HostWorkSummary(n, Percentile(stepMicroseconds.Take(n), 0.5), Percentile(runMicroseconds.Take(n), 0.5),
            Percentile(host, 0.5), Percentile(host, 0.9), (double)allocatedBytes / stepMicroseconds.Count, gen0, gen2,
            pageFaults is { } f ? (double)f / stepMicroseconds.Count : null);
    }

    static double Percentile(IEnumerable<double> values, double p)
    {
        var sorted = values.Order().ToArray();
        return sorted[(int)Math.Min(sorted.Length - 1, Math.Floor(p * sorted.Length))];
    }

    public string ToMarkdownRow(string engine)
    {
        static string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
        return $"| {engine} | {Steps} | {F(StepP50Microseconds)} | {F(RunP50Microseconds)} | {F(HostP50Microseconds)} | {F(HostP90Microseconds)} | {F(AllocatedBytesPerStep)} | {Gen0Collections} / {Gen2Collections} | {(PageFaultsPerStep is { } f ? F(f) : "–")} |";
    }

    public const string MarkdownHeader =
        "| engine | decode steps | step p50 µs | ONNX Runtime run p50 µs | outside the run p50 µs | outside p90 µs | managed bytes allocated per step | GCs gen0 / gen2 | page faults per step |\n" +
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |";
}
