using System.Diagnostics;
using Adapters.Core.Exported;
using Adapters.Runtime.Serving;

namespace Adapters.Bench;

/// <summary>
/// Registry latencies on a swappable export: Load under a new name (then Unload), and Replace of
/// one name alternating between two versions — what a hot swap costs the caller (read, check, publish).
/// </summary>
public static class SwapBenchmark
{
    public static SwapResult Run(ExportedModel model, string name, string versionA, string versionB, int swaps)
    {
        var registry = new AdapterRegistry(model);
        var loads = new List<double>(swaps);
        long bytes = 0;
        for (int i = 0; i < swaps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            var loaded = registry.Load($"{name}-load{i}", versionA);
            loads.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            bytes = loaded.ByteCount;
            registry.Unload($"{name}-load{i}");
        }

        registry.Load(name, versionA);
        var replaces = new List<double>(swaps);
        for (int i = 0; i < swaps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            registry.Replace(name, i % 2 == 0 ? versionB : versionA);
            replaces.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }
        return new SwapResult { Adapter = name, AdapterBytes = bytes, Load = LatencyStats.Of(loads), Replace = LatencyStats.Of(replaces) };
    }
}
