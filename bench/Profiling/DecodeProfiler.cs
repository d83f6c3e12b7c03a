using System.Diagnostics;
using Adapters.Core.Exported;

namespace Adapters.Bench.Profiling;

/// <summary>
/// `adapters profile`: one exported folder (optionally with one of its adapters) run with ONNX
/// Runtime's profiler on — a prefill, then greedy decode steps at batch 1 — and the trace summed
/// by operator type (<see cref="OrtTraceSummary"/>): where a decode step's time goes; beside it the
/// work outside the run (<see cref="HostWorkSummary"/>), and optionally the same for ONNX Runtime
/// GenAI on the same folder.
/// <para>
/// Both engines are loaded and run whole warm-up generations (left out of the figures) before
/// either's profiled generation. A profiled session keeps every event it records, so its memory
/// grows as it runs; when each engine was loaded, profiled and closed in turn, the second grew
/// into the pages the first had freed, and the first, paying a page fault per new page (~70 per
/// step against ~0), spent about a third more per run, whichever engine it was. Loaded together,
/// both grow into new pages; the page faults per step are in the table.
/// </para>
/// </summary>
public static class DecodeProfiler
{
    public sealed record Result(string Engine, OrtTraceSummary Summary, HostWorkSummary Host, string TraceFile);

    /// <summary>Idle time before an engine's profiled generation: ONNX Runtime's workers spin for tens of ms after a run (as in `bench --settle-ms`).</summary>
    static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);

    public static IReadOnlyList<Result> Run(string folder, string? adapter, int promptTokens, int steps, int threads, int warmup, bool genai,
        string outputFolder, Action<string> log)
    {
        if (steps < 1) throw new ArgumentException($"steps must be >= 1, got {steps}");
        if (promptTokens < 1) throw new ArgumentException($"prompt tokens must be >= 1, got {promptTokens}");
        if (warmup < 0) throw new ArgumentException($"warm-up generations must be >= 0, got {warmup}");
        if (genai && adapter is not null) throw new ArgumentException("--genai profiles the folder's base model; leave out --adapter");
#if ONNXRUNTIME_GPU
        if (genai) throw new ArgumentException("ONNX Runtime GenAI is not part of this build (OnnxRuntimeFlavor=Gpu); profile without --genai");
#endif
        Directory.CreateDirectory(outputFolder);
        var exported = ExportedModel.Open(folder);
        int[] prompt = Prompt(promptTokens, exported.Config.VocabSize);

        var engines = new List<IProfiledDecode>();
        try
        {
            engines.Add(new OursProfiledDecode(exported, adapter, threads, outputFolder, log));
            if (genai) engines.Add(OpenGenAi(exported, promptTokens, steps, threads, outputFolder));
            var warmupRuns = engines.Select(e => WarmUp(e, prompt, steps, warmup)).ToArray();
            var measured = engines.Select(_ => new StepRecord(steps)).ToArray();
            for (int e = 0; e < engines.Count; e++)
            {
                Thread.Sleep(Settle); // the previous engine's intra-op workers stop spinning, and take no core from this one
                engines[e].Start(prompt);
                for (int s = 0; s < steps && engines[e].CanStep; s++) measured[e].Time(engines[e].Step);
            }

            var results = new List<Result>();
            for (int e = 0; e < engines.Count; e++)
            {
                string trace = engines[e].EndProfiling();
                log($"profile: {engines[e].Engine} trace {trace}");
                var summary = OrtTraceSummary.Read(trace, warmupRuns[e]);
                results.Add(new Result(engines[e].Engine, summary, measured[e].Summarise(summary.DecodeRunMicroseconds), trace));
            }
            return results;
        }
        finally
        {
            foreach (var engine in engines) engine.Dispose();
        }
    }

    static IProfiledDecode OpenGenAi(ExportedModel exported, int promptTokens, int steps, int threads, string outputFolder) =>
#if ONNXRUNTIME_GPU
        throw new UnreachableException("refused above: this build has no GenAI");
#else
        new GenAiProfiledDecode(exported, promptTokens, steps, threads, outputFolder);
#endif

    /// <summary>Whole generations before the profiled one; returns their model runs (a prefill and one per step each).</summary>
    static int WarmUp(IProfiledDecode engine, int[] prompt, int steps, int generations)
    {
        int runs = 0;
        for (int g = 0; g < generations; g++)
        {
            engine.Start(prompt);
            runs++;
            for (int s = 0; s < steps && engine.CanStep; s++, runs++) engine.Step();
        }
        return runs;
    }

    /// <summary>One engine's profiled steps: wall time each, and the managed allocations, collections and page faults over them.</summary>
    sealed class StepRecord(int steps)
    {
        readonly List<double> _microseconds = new(steps);
        long _allocated, _faults;
        int _gen0, _gen2;
        bool _faultsKnown = true;

        public void Time(Action step)
        {
            long? faults = PageFaults.Minor(); // outside the allocation count: reading it allocates
            long allocated = GC.GetAllocatedBytesForCurrentThread();
            int gen0 = GC.CollectionCount(0), gen2 = GC.CollectionCount(2);
            long start = Stopwatch.GetTimestamp();
            step();
            _microseconds.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            _allocated += GC.GetAllocatedBytesForCurrentThread() - allocated;
            _gen0 += GC.CollectionCount(0) - gen0;
            _gen2 += GC.CollectionCount(2) - gen2;
            if (faults is { } before && PageFaults.Minor() is { } after) _faults += after - before;
            else _faultsKnown = false;
        }

        public HostWorkSummary Summarise(IReadOnlyList<double> runMicroseconds) =>
            HostWorkSummary.Of(_microseconds, runMicroseconds, _allocated, _gen0, _gen2, _faultsKnown ? _faults : null);
    }

    /// <summary>BOS then seeded ids from the vocabulary (special ids 0–2 avoided), the same for every engine.</summary>
    static int[] Prompt(int promptTokens, int vocab)
    {
        var rng = new Random(0);
        return [1, .. Enumerable.Range(1, promptTokens - 1).Select(_ => rng.Next(3, vocab))];
    }
}
