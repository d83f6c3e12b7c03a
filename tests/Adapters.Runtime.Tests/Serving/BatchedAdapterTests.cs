using Microsoft.ML.OnnxRuntime;
using Adapters.Core.Model;
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

    /// <summary>
    /// A decode step's adapter feed wraps no adapter values anew: the batched stacks and
    /// adapter_index, and a swappable adapter's own values, are wrapped once and borrowed by every
    /// feed after. (Building them per step allocated 8.7 KB for a batched and 9.4 KB for a swappable
    /// decode step here, and cost the scheduler thread ~11–19 µs per step.) Allocation counts, not times.
    /// </summary>
    [Fact]
    public void WarmDecodeFeeds_BorrowTheirValues_AndAllocateLittle()
    {
        var registry = AdapterRegistry.WithExportedAdapters(exports.Batched.Exported);
        var rows = exports.Names.Take(4).Select(n => (LoadedAdapter?)registry.Acquire(n).Adapter).Append(null).ToList();
        var windows = rows.Select((_, r) => new RowWindow(6, 1, 6)).ToList();
        var batched = new AdapterInputBuilder(exports.Batched.Exported.Manifest.Adapters!);
        var swappableRegistry = AdapterRegistry.WithExportedAdapters(exports.Swappable.Exported);
        var lora = swappableRegistry.Acquire(exports.Names.First(n => swappableRegistry.Acquire(n).Adapter.Manifest.Method == "lora")).Adapter;
        var swappable = new AdapterInputBuilder(exports.Swappable.Exported.Manifest.Adapters!);

        long BytesOfAWarmFeed(AdapterInputBuilder builder, IReadOnlyList<LoadedAdapter?> adapters, IReadOnlyList<RowWindow> at, out OrtValue first, out OrtValue second)
        {
            using (var warm = builder.Build(adapters, at, 1)) first = warm.Values.Values.First();
            long before = GC.GetAllocatedBytesForCurrentThread();
            using (var feed = builder.Build(adapters, at, 1)) second = feed.Values.Values.First();
            return GC.GetAllocatedBytesForCurrentThread() - before;
        }

        long batchedBytes = BytesOfAWarmFeed(batched, rows, windows, out var b1, out var b2);
        long swappableBytes = BytesOfAWarmFeed(swappable, [lora], [new RowWindow(6, 1, 6)], out var s1, out var s2);

        Assert.Same(b1, b2);
        Assert.Same(s1, s2);
        // The slot lookup's small array is all that is left; the feed's dictionary and the distinct list are reused.
        Assert.True(batchedBytes < 256, $"a warm batched decode feed allocated {batchedBytes:N0} bytes");
        Assert.True(swappableBytes < 256, $"a warm swappable decode feed allocated {swappableBytes:N0} bytes");
    }

    [Fact]
    public void A_builder_reuses_its_feed_and_refuses_a_second_build_while_the_first_is_held()
    {
        var registry = AdapterRegistry.WithExportedAdapters(exports.Batched.Exported);
        var rows = exports.Names.Take(2).Select(n => (LoadedAdapter?)registry.Acquire(n).Adapter).ToList();
        var windows = rows.Select(_ => new RowWindow(6, 1, 6)).ToList();
        var builder = new AdapterInputBuilder(exports.Batched.Exported.Manifest.Adapters!);

        var held = builder.Build(rows, windows, 1);
        var error = Assert.Throws<InvalidOperationException>(() => builder.Build(rows, windows, 1));
        Assert.Contains("dispose it before building the next", error.Message);
        int inputs = held.Values.Count;
        held.Dispose();
        using var next = builder.Build(rows, windows, 1);
        Assert.Same(held, next);
        Assert.Equal(inputs, next.Values.Count); // refilled, not added to what the first run fed
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

    /// <summary>
    /// A continuous batch's adapters change between steps (requests leave, others join, a
    /// lower-rank adapter lands in a slot a higher-rank one held, a version comes back): the
    /// builder reuses its stacks, and every row still reads exactly its own adapter's values —
    /// what a new builder, whose stacks start empty, feeds for the same rows.
    /// </summary>
    [Fact]
    public void WhenABatchsAdaptersChange_EveryRowStillReadsItsOwnAdapter()
    {
        var adapterInterface = exports.Batched.Exported.Manifest.Adapters! with { Slots = 4 };
        var registry = AdapterRegistry.WithExportedAdapters(exports.Batched.Exported);
        var a = exports.Names.Select(n => registry.Acquire(n).Adapter).ToArray(); // lora-a, lora-b, loreft, loreft-untied, direft, direft-untied, lora-c
        LoadedAdapter?[][] steps =
        [
            [a[0], a[1], a[2], a[3]],
            [a[0], null, a[2], a[3]],
            [a[0], a[4], a[2], a[3]],
            [a[6], a[4], a[5], a[1]], // lora-c (rank 3, q/gate only) and others where lora-a, loreft, loreft-untied were
            [null, null, null, null],
            [a[1], a[1], a[0], null],
            [a[3], a[2], a[1], a[0]],
        ];
        var builder = new AdapterInputBuilder(adapterInterface);
        foreach (var (rows, step) in steps.Select((rows, step) => (rows, step)))
        {
            var windows = rows.Select(_ => new RowWindow(5, 1, 3)).ToList();
            using var feed = builder.Build(rows, windows, 1);
            using var fresh = new AdapterInputBuilder(adapterInterface).Build(rows, windows, 1);
            var index = feed.Values[adapterInterface.AdapterIndex!].GetTensorDataAsSpan<long>().ToArray();
            var freshIndex = fresh.Values[adapterInterface.AdapterIndex!].GetTensorDataAsSpan<long>().ToArray();
            for (int r = 0; r < rows.Length; r++)
            {
                Assert.Equal(rows[r] is null, index[r] < 0);
                if (rows[r] is null) continue;
                foreach (var spec in adapterInterface.Inputs)
                {
                    int slotSize = (int)TensorData.ElementCount(spec.ShapeFor(spec.RankCapacity(adapterInterface.MaxRank)));
                    var reused = feed.Values[spec.Name].GetTensorDataAsSpan<float>().Slice((int)index[r] * slotSize, slotSize);
                    var expected = fresh.Values[spec.Name].GetTensorDataAsSpan<float>().Slice((int)freshIndex[r] * slotSize, slotSize);
                    Assert.True(reused.SequenceEqual(expected), $"step {step}, row {r} ({rows[r]!.Name}): input {spec.Name} differs from a new builder's");
                }
            }
        }
    }

    /// <summary>
    /// Under adapter churn (one request leaves, one with another adapter joins) a run writes only
    /// the joining adapter's slot: building its inputs allocates less than one slot of the
    /// stacks, where rebuilding them allocated all of them on every change — garbage that, at
    /// hundreds of changes a second, paused the whole server (issue 16's store benchmark).
    /// </summary>
    [Fact]
    public void WhenABatchsAdaptersChange_BuildingTheRunAllocatesLessThanOneSlotOfTheStacks()
    {
        var adapterInterface = exports.Batched.Exported.Manifest.Adapters! with { Slots = 4 };
        var registry = AdapterRegistry.WithExportedAdapters(exports.Batched.Exported);
        var a = exports.Names.Select(n => registry.Acquire(n).Adapter).ToArray();
        LoadedAdapter?[][] churn = [[a[0], a[1], a[2], a[3]], [a[4], a[1], a[2], a[3]], [a[4], a[5], a[2], a[3]], [a[0], a[5], a[2], a[3]]];
        var windows = churn[0].Select(_ => new RowWindow(5, 1, 3)).ToList();
        var builder = new AdapterInputBuilder(adapterInterface);
        for (int i = 0; i < 8; i++) builder.Build(churn[i % churn.Length], windows, 1).Dispose(); // stacks allocated, code warm

        const int Runs = 40;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Runs; i++) builder.Build(churn[i % churn.Length], windows, 1).Dispose();
        long perRun = (GC.GetAllocatedBytesForCurrentThread() - before) / Runs;

        long oneSlot = adapterInterface.Inputs.Sum(spec => TensorData.ElementCount(spec.ShapeFor(spec.RankCapacity(adapterInterface.MaxRank)))) * sizeof(float);
        Assert.True(perRun < oneSlot, $"each run's inputs allocated {perRun:N0} bytes, more than one slot of the stacks ({oneSlot:N0} bytes; all {adapterInterface.Slots} slots: {oneSlot * adapterInterface.Slots:N0})");
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
