using Adapters.Core.Checkpoints;
using Adapters.Core.Generation;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.Runtime;
using BenchmarkDotNet.Attributes;

namespace Adapters.MicroBench;

/// <summary>
/// One greedy decode step at batch 1 as the serving loop runs it (forward, then argmax over the
/// LLaMA vocabulary) on a random model whose graph is cheap (dim 64, 2 layers, vocab 32000), so
/// the host-side work around ONNX Runtime's Run shows: input and mask arrays, the logits buffer,
/// present-cache values, sampling. Each iteration starts from a 32-token prefill and one untimed
/// decode step, then times 16 steps (cache 33 → 49).
/// </summary>
[MemoryDiagnoser]
[InvocationCount(Steps, unrollFactor: 1)]
public class DecodeStepBenchmarks
{
    const int Prompt = 32, Steps = 16;

    /// <summary>LLaMA-2's 32000-token vocabulary on a model small enough that Run costs little.</summary>
    static readonly LlamaConfig HostBound = new() { Dim = 64, HiddenDim = 172, NumLayers = 2, NumHeads = 8, NumKvHeads = 4, VocabSize = 32000, MaxSeqLen = 256 };

    string _root = "";
    OnnxDecoderModel _model = null!;
    OnnxBatchSession _session = null!;
    IReadOnlyList<int>[] _prompt = [];
    readonly IReadOnlyList<int>[] _next = [new int[1]];

    [GlobalSetup]
    public void Setup()
    {
        _root = Path.Combine(Path.GetTempPath(), "adapters-microbench-decode-" + Guid.NewGuid().ToString("N"));
        LlamaOnnxExporter.Export(RandomCheckpoint.Create(HostBound), _root, new LlamaExportOptions { IntraOpThreads = 1 });
        _model = OnnxDecoderModel.Load(_root, new OnnxRuntimeOptions { Provider = ExecutionProviderPreference.Cpu, IntraOpThreads = 1, Log = _ => { } });
        _prompt = [Enumerable.Range(3, Prompt).ToArray()];
    }

    /// <summary>A fresh session, the prefill, and one untimed decode step the way the benchmark runs it (buffers sized for decoding).</summary>
    [IterationSetup(Target = nameof(GreedyStep))]
    public void Prefill() => Prefill(borrowed: false);

    [IterationSetup(Target = nameof(GreedyStepBorrowed))]
    public void PrefillBorrowed() => Prefill(borrowed: true);

    void Prefill(bool borrowed)
    {
        _session?.Dispose();
        _session = _model.StartBatch(1);
        Sample(_session.Forward(_prompt));
        Sample(borrowed ? _session.ForwardBorrowed(_next) : _session.Forward(_next));
    }

    /// <summary><see cref="OnnxBatchSession.Forward"/>: the caller gets logits of its own.</summary>
    [Benchmark(Baseline = true)]
    public int GreedyStep() => Sample(_session.Forward(_next));

    /// <summary><see cref="OnnxBatchSession.ForwardBorrowed"/>: logits in the session's reused buffer, as the serving loops run it.</summary>
    [Benchmark]
    public int GreedyStepBorrowed() => Sample(_session.ForwardBorrowed(_next));

    int Sample(BatchLogits logits)
    {
        int token = Sampler.ArgMax(logits.Last(0));
        ((int[])_next[0])[0] = token;
        return token;
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session?.Dispose();
        _model.Dispose();
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }
}
