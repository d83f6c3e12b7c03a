using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Adapters.Bench.Profiling;

/// <summary>
/// ONNX Runtime's profile (a Chrome trace: "Session" events per run, "Node" events per kernel)
/// summed by operator type over the decode runs of the profiled generation: every model_run after
/// its prefill, which follows the warm-up's runs.
/// The gap between a run's wall time and its kernels' sum is the executor's own time between kernels.
/// </summary>
public sealed record OrtTraceSummary(int DecodeRuns, double RunMicroseconds, double KernelMicroseconds, IReadOnlyList<OrtTraceSummary.OpTime> Ops,
    IReadOnlyList<double> DecodeRunMicroseconds)
{
    public sealed record OpTime(string OpType, int NodesPerRun, double Microseconds);

    /// <param name="warmupRuns">model_runs before the profiled generation's prefill (the warm-up's), left out.</param>
    public static OrtTraceSummary Read(string traceFile, int warmupRuns = 0)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(traceFile));
        var events = json.RootElement.EnumerateArray().ToList();
        var runs = events.Where(e => Str(e, "cat") == "Session" && Str(e, "name") == "model_run")
            .Select(e => (Start: e.GetProperty("ts").GetDouble(), Duration: e.GetProperty("dur").GetDouble())).OrderBy(r => r.Start).Skip(warmupRuns).ToList();
        if (runs.Count < 2) throw new InvalidDataException($"{traceFile}: {runs.Count} model runs after {warmupRuns} of warm-up; a prefill and at least one decode step are needed");
        double decodeStart = runs[1].Start;
        var kernels = events.Where(e => Str(e, "cat") == "Node" && Str(e, "name")?.EndsWith("_kernel_time", StringComparison.Ordinal) == true
                && e.GetProperty("ts").GetDouble() >= decodeStart)
            .Select(e => (Op: e.GetProperty("args").TryGetProperty("op_name", out var op) ? op.GetString() ?? "?" : "?", Duration: e.GetProperty("dur").GetDouble()))
            .ToList();
        int decodeRuns = runs.Count - 1;
        var ops = kernels.GroupBy(k => k.Op)
            .Select(g => new OpTime(g.Key, (int)Math.Round((double)g.Count() / decodeRuns), g.Sum(k => k.Duration)))
            .OrderByDescending(o => o.Microseconds).ToList();
        return new OrtTraceSummary(decodeRuns, runs.Skip(1).Sum(r => r.Duration), kernels.Sum(k => k.Duration), ops, runs.Skip(1).Select(r => r.Duration).ToList());
    }

    static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    public string ToMarkdown()
    {
        static string F(double v) => v.ToString("F1", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        double perRun = RunMicroseconds / DecodeRuns, kernels = KernelMicroseconds / DecodeRuns;
        sb.AppendLine($"{DecodeRuns} decode runs: {F(perRun)} µs per run in ONNX Runtime, {F(kernels)} µs of it in kernels, {F(perRun - kernels)} µs between kernels; {Ops.Sum(o => o.NodesPerRun)} kernels per run");
        sb.AppendLine();
        sb.AppendLine("| op type | nodes per run | µs per run | share of kernel time |");
        sb.AppendLine("| --- | ---: | ---: | ---: |");
        foreach (var o in Ops)
            sb.AppendLine($"| {o.OpType} | {o.NodesPerRun} | {F(o.Microseconds / DecodeRuns)} | {(o.Microseconds / KernelMicroseconds).ToString("P1", CultureInfo.InvariantCulture)} |");
        return sb.ToString();
    }
}
