using Adapters.Runtime.Serving;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>
/// One batched run serves rows with different adapters — LoRA, LoReFT, DiReFT (tied and untied)
/// and none — and gives each row the logits a run with only its adapter gives.
/// </summary>
[Collection(AdapterServingCollection.Name)]
public sealed class BatchedAdapterTests(AdapterExportFixture exports)
{
    const int DecodeSteps = 3;

    [Fact]
    public void EightRowsWithEightAdapters_EqualEightSingleAdapterRuns()
    {
        string?[] names = [.. exports.Names, null];
        Assert.Equal(AdapterExportFixture.Slots, names.Length);
        var registry = AdapterRegistry.WithExportedAdapters(exports.Batched.Exported);
        var leases = names.Select(n => n is null ? null : registry.Acquire(n)).ToList();
        var rowAdapters = leases.Select(l => l?.Adapter).ToList();
        // Prompts of different lengths, so rows are left-padded and masks shift with the padding.
        var prompts = names.Select((_, r) => Enumerable.Range(0, 4 + r).Select(i => 1 + (i * 37 + r * 11) % 500).Prepend(1).ToArray()).ToList();
        var decode = Enumerable.Range(0, DecodeSteps).Select(s => names.Select((_, r) => 3 + (s * 53 + r * 29) % 500).ToArray()).ToList();

        var batched = RunBatched(rowAdapters, prompts, decode);

        var singleRegistry = AdapterRegistry.WithExportedAdapters(exports.Swappable.Exported);
        for (int r = 0; r < names.Length; r++)
        {
            using var single = new OnnxAdapterModel(exports.Swappable, singleRegistry, names[r]).StartSession();
            var expected = new List<float[]> { Last(single.Forward(prompts[r]), exports.Weights.Config.VocabSize) };
            foreach (var step in decode) expected.Add(single.Forward([step[r]]));
            for (int s = 0; s < expected.Count; s++)
                TestRuntime.AssertClose(expected[s], batched[s][r], $"row {r} ({names[r] ?? "no adapter"}), step {s}");
        }
        foreach (var lease in leases) lease?.Dispose();
    }

    [Fact]
    public void MoreDistinctAdaptersThanSlots_IsRefused()
    {
        var builder = new AdapterInputBuilder(exports.Batched.Exported.Manifest.Adapters! with { Slots = 2 });
        var registry = AdapterRegistry.WithExportedAdapters(exports.Batched.Exported);
        var adapters = exports.Names.Take(3).Select(n => registry.Acquire(n).Adapter).ToList();

        var error = Assert.Throws<ArgumentException>(() => builder.Build(adapters, adapters.Select(_ => new RowWindow(0, 1, 1)).ToList(), 1));

        Assert.Contains("3 different adapters in one run, but this export has 2 slots", error.Message);
    }

    /// <summary>Prefill then decode steps in one batch; per step and row, the logits of the row's last token.</summary>
    List<float[][]> RunBatched(IReadOnlyList<LoadedAdapter?> rowAdapters, IReadOnlyList<int[]> prompts, IReadOnlyList<int[]> decode)
    {
        var builder = new AdapterInputBuilder(exports.Batched.Exported.Manifest.Adapters!);
        using var batch = exports.Batched.StartBatch(prompts.Count);
        var results = new List<float[][]>();
        int longest = prompts.Max(p => p.Length);
        using (var feed = builder.Build(rowAdapters, prompts.Select(p => new RowWindow(0, p.Length, p.Length)).ToList(), longest))
        {
            var logits = batch.Forward(prompts, feed.Values);
            results.Add(prompts.Select((_, r) => logits.Last(r).ToArray()).ToArray());
        }
        foreach (var step in decode)
        {
            var windows = prompts.Select((p, r) => new RowWindow(batch.Position(r), 1, p.Length)).ToList();
            using var feed = builder.Build(rowAdapters, windows, 1);
            var logits = batch.Forward(step.Select(t => (IReadOnlyList<int>)[t]).ToList(), feed.Values);
            results.Add(prompts.Select((_, r) => logits.Last(r).ToArray()).ToArray());
        }
        return results;
    }

    static float[] Last(float[] logits, int vocab) => logits[^vocab..];
}
