using Adapters.Core.Generation;
using Adapters.Runtime.Serving;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>
/// Adapters and the continuous-batching scheduler on a GroupQueryAttention export, whose in-place
/// cache runs a joining prompt on its own row: rows with eight different adapters (LoRA, LoReFT,
/// DiReFT, none) decoding together equal single-adapter sessions, scheduled requests joining and
/// leaving generate what they would alone, and a hot replace serves the new version.
/// </summary>
public sealed class GqaServingTests(GqaAdapterExportFixture exports) : IClassFixture<GqaAdapterExportFixture>
{
    const int DecodeSteps = 3;

    [Fact]
    public void Eight_rows_with_different_adapters_and_prompt_lengths_equal_single_adapter_sessions()
    {
        Assert.True(exports.Batched.InPlaceKvCache);
        string?[] names = [.. exports.Names, null];
        var registry = AdapterRegistry.WithExportedAdapters(exports.Batched.Exported);
        var leases = names.Select(n => n is null ? null : registry.Acquire(n)).ToList();
        var adapters = leases.Select(l => l?.Adapter).ToArray();
        var prompts = names.Select((_, r) => Enumerable.Range(0, 4 + r).Select(i => 1 + (i * 37 + r * 11) % 500).Prepend(1).ToArray()).ToList();
        var decode = Enumerable.Range(0, DecodeSteps).Select(s => names.Select((_, r) => 3 + (s * 53 + r * 29) % 500).ToArray()).ToList();
        var builder = new AdapterInputBuilder(exports.Batched.Exported.Manifest.Adapters!);
        int vocab = exports.Weights.Config.VocabSize;

        using var batch = exports.Batched.StartBatch(names.Length);
        var results = names.Select(_ => new List<float[]>()).ToList();
        for (int r = 0; r < names.Length; r++)
        {
            using var feed = builder.Build([adapters[r]], [new RowWindow(0, prompts[r].Length, prompts[r].Length)], prompts[r].Length);
            results[r].Add(batch.ForwardRow(r, prompts[r], feed.Values).Last(0).ToArray());
        }
        foreach (var step in decode)
        {
            var windows = prompts.Select((p, r) => new RowWindow(batch.Position(r), 1, p.Length)).ToList();
            using var feed = builder.Build(adapters, windows, 1);
            var logits = batch.Forward(step.Select(t => (IReadOnlyList<int>)[t]).ToList(), feed.Values);
            for (int r = 0; r < names.Length; r++) results[r].Add(logits.Last(r).ToArray());
        }

        var single = AdapterRegistry.WithExportedAdapters(exports.Swappable.Exported);
        for (int r = 0; r < names.Length; r++)
        {
            using var session = new OnnxAdapterModel(exports.Swappable, single, names[r]).StartSession();
            var expected = new List<float[]> { session.Forward(prompts[r])[^vocab..] };
            foreach (var step in decode) expected.Add(session.Forward([step[r]]));
            for (int s = 0; s < expected.Count; s++)
                TestRuntime.AssertClose(expected[s], results[r][s], $"row {r} ({names[r] ?? "no adapter"}), step {s}");
        }
        foreach (var lease in leases) lease?.Dispose();
    }

    [Fact]
    public void Scheduled_requests_generate_what_they_would_alone_and_a_replaced_adapter_serves_its_new_version() =>
        SchedulerParity.ScheduledRequestsMatchAlone_AndAReplacedAdapterServesItsNewVersion(exports);
}
