using Adapters.Runtime;
using BenchmarkDotNet.Attributes;

namespace Adapters.MicroBench;

/// <summary>
/// KV cache handling in <see cref="OnnxBatchSession"/> (random 260K model, batch 8): a decode
/// step on a grown cache (inputs, mask history, new present caches), and compaction after rows
/// restart.
/// </summary>
[MemoryDiagnoser]
public class BatchSessionBenchmarks
{
    const int Batch = 8, Prompt = 64;

    MicroBenchModels _models = null!;
    OnnxDecoderModel _model = null!;
    OnnxBatchSession _session = null!;
    IReadOnlyList<int>[] _prompt = [], _step = [];

    [GlobalSetup]
    public void Setup()
    {
        _models = new MicroBenchModels();
        _model = _models.Load(_models.Workspace.BaseFolder);
        _prompt = Enumerable.Repeat<IReadOnlyList<int>>(Enumerable.Range(3, Prompt).ToArray(), Batch).ToArray();
        _step = Enumerable.Repeat<IReadOnlyList<int>>([5], Batch).ToArray();
    }

    /// <summary>
    /// Each iteration starts from a prefilled cache and one untimed decode step made the way the
    /// benchmark makes it (so per-shape buffers exist, as in a running decode loop): the timed
    /// step always sees the same length.
    /// </summary>
    [IterationSetup(Targets = [nameof(DecodeStep), nameof(CompactAfterReset)])]
    public void Prefill() => Prefill(borrowed: false);

    [IterationSetup(Target = nameof(DecodeStepBorrowed))]
    public void PrefillBorrowed() => Prefill(borrowed: true);

    void Prefill(bool borrowed)
    {
        _session?.Dispose();
        _session = _model.StartBatch(Batch);
        _session.Forward(_prompt);
        for (int r = 0; r < Batch; r += 2) _session.ResetRow(r);
        if (borrowed) _session.ForwardBorrowed(_step);
        else _session.Forward(_step);
    }

    [Benchmark] public int DecodeStep() => _session.Forward(_step).Tokens;

    /// <summary>The same step with the logits in the session's reused buffer (what the scheduler runs).</summary>
    [Benchmark] public int DecodeStepBorrowed() => _session.ForwardBorrowed(_step).Tokens;

    /// <summary>After ResetRow on half the rows nothing is dead yet (the others attend all); restart all to compact everything.</summary>
    [Benchmark]
    public int CompactAfterReset()
    {
        for (int r = 1; r < Batch; r += 2) _session.ResetRow(r);
        _session.Forward(_step);
        return _session.Compact();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _session?.Dispose();
        _model.Dispose();
        _models.Dispose();
    }
}
