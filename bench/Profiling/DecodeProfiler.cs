using Adapters.Core.Exported;
using Adapters.Core.Generation;
using Adapters.Runtime;
using Adapters.Runtime.Serving;

namespace Adapters.Bench.Profiling;

/// <summary>
/// `adapters profile`: one exported folder (optionally with one of its adapters) run with ONNX
/// Runtime's profiler on — a prefill, then greedy decode steps at batch 1 — and the trace summed
/// by operator type (<see cref="OrtTraceSummary"/>): where a decode step's time goes.
/// </summary>
public static class DecodeProfiler
{
    public static (OrtTraceSummary Summary, string TraceFile) Run(string folder, string? adapter, int promptTokens, int steps, int threads, string outputFolder, Action<string> log)
    {
        if (steps < 1) throw new ArgumentException($"steps must be >= 1, got {steps}");
        if (promptTokens < 1) throw new ArgumentException($"prompt tokens must be >= 1, got {promptTokens}");
        Directory.CreateDirectory(outputFolder);
        var exported = ExportedModel.Open(folder);
        var options = new OnnxRuntimeOptions { IntraOpThreads = threads, Log = log, ProfileFilePrefix = Path.Combine(Path.GetFullPath(outputFolder), "ort_profile") };
        using var model = OnnxDecoderModel.Load(exported, new OnnxSessionFactory(options));
        var registry = adapter is null ? null : AdapterRegistry.WithExportedAdapters(exported);
        using IDecoderModel decoder = registry is null ? new Plain(model) : new OnnxAdapterModel(model, registry, adapter);
        var rng = new Random(0);
        int[] prompt = [1, .. Enumerable.Range(1, promptTokens - 1).Select(_ => rng.Next(3, exported.Config.VocabSize))];
        using (var session = decoder.StartSession())
        {
            int vocab = exported.Config.VocabSize;
            float[] logits = session.Forward(prompt);
            for (int s = 0; s < steps && session.Position < exported.Config.MaxSeqLen; s++)
                logits = session.Forward([Sampler.ArgMax(logits.AsSpan(logits.Length - vocab, vocab))]);
        }
        string trace = model.EndProfiling();
        log($"profile: trace {trace}");
        return (OrtTraceSummary.Read(trace), trace);
    }

    sealed class Plain(OnnxDecoderModel model) : IDecoderModel
    {
        public Core.Model.LlamaConfig Config => model.Config;
        public IDecoderSession StartSession() => model.StartSession();
        public void Dispose() { }
    }
}
