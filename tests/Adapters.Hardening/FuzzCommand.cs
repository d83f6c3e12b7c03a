using System.Diagnostics;
using Adapters.Hardening.Fuzzing;

namespace Adapters.Hardening;

/// <summary>
/// `fuzz`: every adapter reader target for --seconds each (default 60), seeded (--seed, default 1),
/// one line per target and a total with the process's peak resident memory; mutated inputs that
/// crash or hang are written to --crashes DIR. Exit code 1 when anything crashed or hung.
/// </summary>
static class FuzzCommand
{
    public static int Run(string[] args)
    {
        var options = new Options(args);
        int seconds = options.Int("--seconds", 60), seed = options.Int("--seed", 1);
        string? only = options.Get("--target");
        using var targets = new AdapterFuzzTargets();
        long inputs = 0;
        int crashes = 0, hangs = 0;
        var clock = Stopwatch.StartNew();
        foreach (var target in targets.All.Where(t => only is null || t.Name == only))
        {
            var report = FuzzLoop.Run(target, seed, long.MaxValue, TimeSpan.FromSeconds(seconds), TimeSpan.FromSeconds(10), options.Get("--crashes"));
            Console.WriteLine(report);
            foreach (string crash in report.Crashes.Take(3)) Console.WriteLine("  " + (options.Get("--stacks") is null ? crash.Split('\n')[0] : crash));
            inputs += report.Inputs;
            crashes += report.Crashes.Count;
            hangs += report.Hangs;
        }
        Console.WriteLine($"total: {inputs:N0} inputs, {crashes} crashes, {hangs} hangs, {clock.Elapsed.TotalSeconds:F0} s, max RSS {PeakRssMiB():N0} MiB (seed {seed})");
        return crashes + hangs == 0 ? 0 : 1;
    }

    /// <summary>VmHWM: the most resident memory this process had at any time.</summary>
    public static long PeakRssMiB()
    {
        foreach (string line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) / 1024;
        using var self = Process.GetCurrentProcess();
        return self.PeakWorkingSet64 >> 20;
    }
}
