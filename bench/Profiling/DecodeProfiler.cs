using System.Diagnostics;
using Adapters.Core.Exported;
using Adapters.Core.Generation;
using Adapters.Runtime;
using Adapters.Runtime.Serving;

namespace Adapters.Bench.Profiling;

/// <summary>
/// `adapters profile`: one exported folder (optionally with one of its adapters) run with ONNX
/// Runtime's profiler on — a prefill, then greedy decode steps at batch 1 — and the trace summed
/// by operator type (<see cref="OrtTraceSummary"/>): where a decode step's time goes; beside it the
/// work outside the run (<see cref="HostWorkSummary"/>), and optionally the same for ONNX Runtime
/// GenAI on the same folder.
/// </summary>
public static class DecodeProfiler
{
    public sealed record Result(OrtTraceSummary Summary, HostWorkSummary Host, string TraceFile);

    public static Result Run(string folder, string? adapter, int promptTokens, int steps, int threads, string outputFolder, Action<string> log)
    {
        if (steps < 1) throw new ArgumentException($"steps must be >= 1, got {steps}");
        if (promptTokens < 1) throw new ArgumentException($"prompt tokens must be >= 1, got {promptTokens}");
        Directory.CreateDirectory(outputFolder);
        var exported = ExportedModel.Open(folder);
        var options = new OnnxRuntimeOptions { IntraOpThreads = threads, Log = log, ProfileFilePrefix = Path.Combine(Path.GetFullPath(outputFolder), "ort_profile") };
        using var model = OnnxDecoderModel.Load(exported, new OnnxSessionFactory(options));
        var registry = adapter is null ? null : AdapterRegistry.WithExportedAdapters(exported);
        using IDecoderModel decoder = registry is null ? new Plain(model) : new OnnxAdapterModel(model, registry, adapter);
        int[] prompt = Prompt(promptTokens, exported.Config.VocabSize);
        var stepMicroseconds = new List<double>(steps);
        long allocated;
        int gen0, gen2;
        using (var session = decoder.StartSession())
        {
            int next = Sampler.ArgMax(session.ForwardLast(prompt));
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            int gen0Before = GC.CollectionCount(0), gen2Before = GC.CollectionCount(2);
            for (int s = 0; s < steps && session.Position < exported.Config.MaxSeqLen; s++)
            {
                long start = Stopwatch.GetTimestamp();
                next = Sampler.ArgMax(session.ForwardLast([next]));
                stepMicroseconds.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            gen0 = GC.CollectionCount(0) - gen0Before;
            gen2 = GC.CollectionCount(2) - gen2Before;
        }
        string trace = model.EndProfiling();
        log($"profile: trace {trace}");
        var summary = OrtTraceSummary.Read(trace);
        return new Result(summary, HostWorkSummary.Of(stepMicroseconds, summary.DecodeRunMicroseconds, allocated, gen0, gen2), trace);
    }

#if !ONNXRUNTIME_GPU
    /// <summary>
    /// The same decode (prompt, greedy steps) by ONNX Runtime GenAI on the same folder, its
    /// profiler switched on through a config overlay (the folder is not touched). GenAI's step is
    /// one GenerateNextToken: its forward and its own greedy search.
    /// </summary>
    public static Result RunGenAi(string folder, int promptTokens, int steps, int threads, string outputFolder, Action<string> log)
    {
        Directory.CreateDirectory(outputFolder);
        var exported = ExportedModel.Open(folder);
        string prefix = Path.Combine(Path.GetFullPath(outputFolder), "genai_profile");
        var existing = Directory.GetFiles(outputFolder, "genai_profile*.json").ToHashSet();
        int[] prompt = Prompt(promptTokens, exported.Config.VocabSize);
        var stepMicroseconds = new List<double>(steps);
        long allocated;
        int gen0, gen2;
        using (var config = new Microsoft.ML.OnnxRuntimeGenAI.Config(exported.Folder))
        {
            var sessionOptions = new System.Text.Json.Nodes.JsonObject { ["enable_profiling"] = prefix };
            if (threads > 0) sessionOptions["intra_op_num_threads"] = threads;
            config.Overlay(new System.Text.Json.Nodes.JsonObject { ["model"] = new System.Text.Json.Nodes.JsonObject { ["decoder"] = new System.Text.Json.Nodes.JsonObject { ["session_options"] = sessionOptions } } }.ToJsonString());
            using var model = new Microsoft.ML.OnnxRuntimeGenAI.Model(config);
            using var parameters = new Microsoft.ML.OnnxRuntimeGenAI.GeneratorParams(model);
            int length = Math.Min(exported.Config.MaxSeqLen, prompt.Length + 1 + steps);
            parameters.SetSearchOption("max_length", length);
            parameters.SetSearchOption("min_length", length);
            parameters.SetSearchOption("do_sample", false);
            using var generator = new Microsoft.ML.OnnxRuntimeGenAI.Generator(model, parameters);
            generator.AppendTokens(prompt);
            generator.GenerateNextToken();
            long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
            int gen0Before = GC.CollectionCount(0), gen2Before = GC.CollectionCount(2);
            for (int s = 0; s < steps && !generator.IsDone(); s++)
            {
                long start = Stopwatch.GetTimestamp();
                generator.GenerateNextToken();
                stepMicroseconds.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
            }
            allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
            gen0 = GC.CollectionCount(0) - gen0Before;
            gen2 = GC.CollectionCount(2) - gen2Before;
        } // the trace is written when GenAI's session goes
        string trace = Directory.GetFiles(outputFolder, "genai_profile*.json").Except(existing).SingleOrDefault()
            ?? throw new InvalidOperationException($"GenAI wrote no profile under {outputFolder}");
        log($"profile: GenAI trace {trace}");
        var summary = OrtTraceSummary.Read(trace);
        // GenAI's first GenerateNextToken ran the prefill's sampling only; its trace's runs are the prefill, then one per step.
        return new Result(summary, HostWorkSummary.Of(stepMicroseconds, summary.DecodeRunMicroseconds, allocated, gen0, gen2), trace);
    }
#endif

    /// <summary>BOS then seeded ids from the vocabulary (special ids 0–2 avoided), the same for every engine.</summary>
    static int[] Prompt(int promptTokens, int vocab)
    {
        var rng = new Random(0);
        return [1, .. Enumerable.Range(1, promptTokens - 1).Select(_ => rng.Next(3, vocab))];
    }

    sealed class Plain(OnnxDecoderModel model) : IDecoderModel
    {
        public Core.Model.LlamaConfig Config => model.Config;
        public IDecoderSession StartSession() => model.StartSession();
        public void Dispose() { }
    }
}
