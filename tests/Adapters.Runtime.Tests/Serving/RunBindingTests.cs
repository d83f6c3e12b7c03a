using Adapters.Runtime.Serving;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>
/// A CPU session over an in-place (GroupQueryAttention) cache keeps its inputs and outputs bound
/// across runs and re-binds only what changed (<see cref="RunBinding"/>): an adapter fed in one
/// step must not linger in the next that feeds none or another, a value rewritten in place must be
/// read afresh, and a warm decode step must not marshal every name and value again.
/// </summary>
public sealed class RunBindingTests(GqaAdapterExportFixture exports) : IClassFixture<GqaAdapterExportFixture>
{
    static readonly int[] Prompt = [1, 17, 250, 33, 4, 98];

    [Fact]
    public void Steps_that_change_or_drop_their_adapter_give_what_a_fresh_session_gives()
    {
        // The swappable export: its adapter inputs have defaults, so a step may feed none of them.
        var model = exports.Swappable;
        Assert.True(model.InPlaceKvCache);
        var registry = AdapterRegistry.WithExportedAdapters(model.Exported);
        using var loraA = registry.Acquire("lora-a");
        using var loraB = registry.Acquire("lora-b");
        var builder = new AdapterInputBuilder(model.Exported.Manifest.Adapters!);
        LoadedAdapter?[] sequence = [loraA.Adapter, null, loraB.Adapter, loraA.Adapter, null];

        // One session runs every configuration in turn, its row reset between them.
        using var shared = model.StartBatch(1);
        var got = new List<float[]>();
        foreach (var adapter in sequence)
        {
            shared.ResetRow(0);
            got.Add(PrefillLast(shared, builder, adapter));
        }

        for (int i = 0; i < sequence.Length; i++)
        {
            using var fresh = model.StartBatch(1);
            var expected = PrefillLast(fresh, builder, sequence[i]);
            Assert.True(expected.AsSpan().SequenceEqual(got[i]), $"step {i} ({sequence[i]?.Name ?? "no adapter"}) differs from a fresh session's");
        }
        Assert.False(got[0].AsSpan().SequenceEqual(got[1]), "the adapter changes nothing: the test could not see a stale binding");
        Assert.False(got[0].AsSpan().SequenceEqual(got[2]), "the two adapters agree: the test could not see a stale binding");
    }

    [Fact]
    public void A_warm_decode_step_allocates_less_than_marshalling_every_input_would()
    {
        using var session = exports.Swappable.StartBatch(1);
        session.ForwardBorrowed([Prompt]);
        IReadOnlyList<IReadOnlyList<int>> step = [[5]];
        for (int i = 0; i < 4; i++) session.ForwardBorrowed(step);

        const int Steps = 32;
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < Steps; i++) session.ForwardBorrowed(step);
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - before) / Steps;

        // InferenceSession.Run marshals the names and values of all 3 + 2·layers inputs and
        // 1 + 2·layers outputs on every call (883 bytes a step on this 5-layer export, 1.1 KB on
        // the 15M one); bound, a step re-binds only its attention mask.
        Assert.True(perStep < 400, $"a warm decode step allocated {perStep} bytes");
    }

    /// <summary>The prompt's last logits with the adapter's inputs fed, or with no adapter input fed at all.</summary>
    static float[] PrefillLast(OnnxBatchSession session, AdapterInputBuilder builder, LoadedAdapter? adapter)
    {
        if (adapter is null) return session.ForwardBorrowed([Prompt]).Last(0).ToArray();
        using var feed = builder.Build([adapter], [new RowWindow(0, Prompt.Length, Prompt.Length)], Prompt.Length);
        return session.ForwardBorrowed([Prompt], feed.Values).Last(0).ToArray();
    }
}
