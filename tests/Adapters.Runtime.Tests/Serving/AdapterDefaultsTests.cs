using Adapters.Export;
using Adapters.Runtime.Serving;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>With no adapter, exports with adapter inputs compute the base model: rank-0 defaults and zero masks (swappable), adapter_index −1 (batched).</summary>
[Collection(AdapterServingCollection.Name)]
public sealed class AdapterDefaultsTests(AdapterExportFixture exports)
{
    static readonly int[] Prompt = [1, 403, 407, 261, 378, 300];

    [Fact]
    public void NoAdapter_GivesThePlainExportsLogits()
    {
        using var plainExport = new TempExport(exports.Weights, new LlamaExportOptions { IntraOpThreads = 2 });
        using var plain = plainExport.Load();
        using var plainSession = plain.StartSession();
        var expected = plainSession.Forward(Prompt);

        // Swappable: nothing fed at all, so every adapter input takes its default.
        using var swappable = exports.Swappable.StartSession();
        TestRuntime.AssertClose(expected, swappable.Forward(Prompt), "swappable export, defaults");

        // Batched: every input fed, every row at adapter_index −1, stacks full of other adapters.
        var registry = AdapterRegistry.WithExportedAdapters(exports.Batched.Exported);
        using var lease = registry.Acquire("lora-a");
        var builder = new AdapterInputBuilder(exports.Batched.Exported.Manifest.Adapters!);
        using var batch = exports.Batched.StartBatch(2);
        using var feed = builder.Build([lease.Adapter, null], [new RowWindow(0, Prompt.Length, Prompt.Length), new RowWindow(0, Prompt.Length, Prompt.Length)], Prompt.Length);
        var logits = batch.Forward([Prompt, Prompt], feed.Values);
        var vocab = exports.Weights.Config.VocabSize;
        for (int t = 0; t < Prompt.Length; t++)
            TestRuntime.AssertClose(expected.AsSpan(t * vocab, vocab), logits.At(1, t), $"batched export, row without adapter, token {t}");
    }
}
