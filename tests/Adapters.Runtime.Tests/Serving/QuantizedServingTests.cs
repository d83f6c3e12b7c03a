using Adapters.Core.Generation;
using Adapters.Runtime.Serving;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>
/// The registry and the continuous-batching scheduler work unchanged on a quantized folder:
/// batched rows with different adapters equal single-adapter runs, requests joining and leaving
/// generate what they would alone, and a hot replace serves the new version. The folder keeps fp32
/// activations (accuracy level 0) so that "equal" can mean float rounding; the default level 4 is
/// checked in <see cref="Int8ActivationServingTests"/>.
/// </summary>
public sealed class QuantizedServingTests(QuantizedAdapterExportFixture exports) : IClassFixture<QuantizedAdapterExportFixture>
{

    [Fact]
    public void The_folder_is_quantized_with_fp32_adapter_inputs()
    {
        var manifest = exports.Batched.Exported.Manifest;
        Assert.Equal(4, manifest.Quantization!.Bits);
        Assert.Equal(8, manifest.Quantization.ClassifierBits);
        Assert.NotEmpty(manifest.Adapters!.Inputs);
        var model = MatMulNBitsSpecReader.ReadModel(exports.Batched.Exported.Folder);
        var floatInputs = model.Graph.Input.Where(i => i.Type.TensorType.ElemType == (int)Onnx.TensorProto.Types.DataType.Float).Select(i => i.Name).ToHashSet();
        Assert.All(manifest.Adapters.Inputs, i => Assert.Contains(i.Name, floatInputs));
    }

    [Fact]
    public void Eight_batched_rows_with_different_adapters_equal_single_adapter_runs()
    {
        string?[] names = [.. exports.Names, null];
        var registry = AdapterRegistry.WithExportedAdapters(exports.Batched.Exported);
        var leases = names.Select(n => n is null ? null : registry.Acquire(n)).ToList();
        var prompts = names.Select((_, r) => Enumerable.Range(0, 4 + r).Select(i => 1 + (i * 37 + r * 11) % 500).Prepend(1).ToArray()).ToList();
        var builder = new AdapterInputBuilder(exports.Batched.Exported.Manifest.Adapters!);
        using var batch = exports.Batched.StartBatch(prompts.Count);
        int longest = prompts.Max(p => p.Length);
        float[][] batched;
        using (var feed = builder.Build(leases.Select(l => l?.Adapter).ToList(), prompts.Select(p => new RowWindow(0, p.Length, p.Length)).ToList(), longest))
        {
            var logits = batch.Forward(prompts, feed.Values);
            batched = prompts.Select((_, r) => logits.Last(r).ToArray()).ToArray();
        }

        var single = AdapterRegistry.WithExportedAdapters(exports.Swappable.Exported);
        int vocab = exports.Weights.Config.VocabSize;
        for (int r = 0; r < names.Length; r++)
        {
            using var session = new OnnxAdapterModel(exports.Swappable, single, names[r]).StartSession();
            TestRuntime.AssertClose(session.Forward(prompts[r])[^vocab..], batched[r], $"row {r} ({names[r] ?? "no adapter"})");
        }
        foreach (var lease in leases) lease?.Dispose();
    }

    [Fact]
    public void Scheduled_requests_generate_what_they_would_alone_and_a_replaced_adapter_serves_its_new_version() =>
        SchedulerParity.ScheduledRequestsMatchAlone_AndAReplacedAdapterServesItsNewVersion(exports);
}
