using Adapters.Bench;
using Adapters.Core.Adapters;
using Adapters.Runtime;
using Adapters.Runtime.Serving;
using BenchmarkDotNet.Attributes;

namespace Adapters.MicroBench;

/// <summary>
/// Preparing a run's adapter inputs (<see cref="AdapterInputBuilder.Build"/>) for a batch of 8:
/// swappable LoRA, ReFT prefill (position-mask building) and decode, batched mixed adapters.
/// </summary>
[MemoryDiagnoser]
public class AdapterInputBenchmarks
{
    const int Batch = 8, Prompt = 32;

    MicroBenchModels _models = null!;
    OnnxDecoderModel _swappable = null!, _reft = null!, _batched = null!;
    AdapterInputBuilder _loraBuilder = null!, _reftBuilder = null!, _batchedBuilder = null!;
    LoadedAdapter?[] _lora = [], _loreft = [], _mixed = [];
    RowWindow[] _prefill = [], _decode = [];

    [GlobalSetup]
    public void Setup()
    {
        _models = new MicroBenchModels();
        var w = _models.Workspace;
        _swappable = _models.Load(w.SwappableFolder);
        _reft = _models.Load(w.ReftFolder);
        _batched = _models.Load(w.BatchedFolder);
        _loraBuilder = new AdapterInputBuilder(_swappable.Exported.Manifest.Adapters!);
        _reftBuilder = new AdapterInputBuilder(_reft.Exported.Manifest.Adapters!);
        _batchedBuilder = new AdapterInputBuilder(_batched.Exported.Manifest.Adapters!);
        var lora = MicroBenchModels.Adapter(_swappable, BenchWorkspace.LoraSmall);
        var loreft = MicroBenchModels.Adapter(_reft, BenchWorkspace.LoReft);
        var mixed = Enumerable.Range(0, BenchWorkspace.BatchedAdapters).Select(i => MicroBenchModels.Adapter(_batched, BenchWorkspace.BatchedName(i))).ToArray();
        _lora = Enumerable.Repeat<LoadedAdapter?>(lora, Batch).ToArray();
        _loreft = Enumerable.Repeat<LoadedAdapter?>(loreft, Batch).ToArray();
        _mixed = Enumerable.Range(0, Batch).Select(r => (LoadedAdapter?)mixed[r % mixed.Length]).ToArray();
        _prefill = Enumerable.Repeat(new RowWindow(0, Prompt, Prompt), Batch).ToArray();
        _decode = Enumerable.Repeat(new RowWindow(Prompt + 5, 1, Prompt), Batch).ToArray();
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _swappable.Dispose();
        _reft.Dispose();
        _batched.Dispose();
        _models.Dispose();
    }

    [Benchmark] public int SwappableLoraDecode() => Feed(_loraBuilder, _lora, _decode, 1);
    [Benchmark] public int ReftPrefillMasks() => Feed(_reftBuilder, _loreft, _prefill, Prompt);
    [Benchmark] public int ReftDecode() => Feed(_reftBuilder, _loreft, _decode, 1);
    [Benchmark] public int BatchedMixedDecode() => Feed(_batchedBuilder, _mixed, _decode, 1);

    /// <summary>Position groups of a 32-token prompt (the per-row step of mask building).</summary>
    [Benchmark] public byte[] AssignPositions() => PositionSpec.Parse(BenchAdapters.ReftPositions).Assign(Prompt);

    static int Feed(AdapterInputBuilder builder, LoadedAdapter?[] adapters, RowWindow[] rows, int sequence)
    {
        using var feed = builder.Build(adapters, rows, sequence);
        return feed.Values.Count;
    }
}
