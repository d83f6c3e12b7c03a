using Adapters.Runtime.Serving;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>
/// Batched serving on an int4 folder at the default accuracy level 4 (activations rounded to int8
/// inside MatMulNBits). Left padding changes the float rounding of attention by a few ulps, and an
/// int8 rounding can amplify that (README: quantized weights), so these rows are all one length:
/// then the batch adds nothing, and a row with any adapter gives exactly its single-adapter logits.
/// </summary>
public sealed class Int8ActivationServingTests(Int8ActivationAdapterExportFixture exports) : IClassFixture<Int8ActivationAdapterExportFixture>
{
    const int PromptLength = 9;

    [Fact]
    public void Rows_of_one_length_with_eight_different_adapters_equal_single_adapter_runs_exactly()
    {
        string?[] names = [.. exports.Names, null];
        var registry = AdapterRegistry.WithExportedAdapters(exports.Batched.Exported);
        var leases = names.Select(n => n is null ? null : registry.Acquire(n)).ToList();
        var prompts = names.Select((_, r) => Enumerable.Range(0, PromptLength - 1).Select(i => 1 + (i * 37 + r * 11) % 500).Prepend(1).ToArray()).ToList();
        var builder = new AdapterInputBuilder(exports.Batched.Exported.Manifest.Adapters!);
        using var batch = exports.Batched.StartBatch(prompts.Count);
        float[][] batched;
        using (var feed = builder.Build(leases.Select(l => l?.Adapter).ToList(), prompts.Select(p => new RowWindow(0, p.Length, p.Length)).ToList(), PromptLength))
        {
            var logits = batch.Forward(prompts, feed.Values);
            batched = prompts.Select((_, r) => logits.Last(r).ToArray()).ToArray();
        }

        var single = AdapterRegistry.WithExportedAdapters(exports.Swappable.Exported);
        int vocab = exports.Weights.Config.VocabSize;
        for (int r = 0; r < names.Length; r++)
        {
            using var session = new OnnxAdapterModel(exports.Swappable, single, names[r]).StartSession();
            float[] alone = session.Forward(prompts[r])[^vocab..];
            Assert.True(TestRuntime.MaxAbsDiff(alone, batched[r]) == 0, $"row {r} ({names[r] ?? "no adapter"}): max |Δlogit| = {TestRuntime.MaxAbsDiff(alone, batched[r]):G3}");
        }
        foreach (var lease in leases) lease?.Dispose();
    }
}
