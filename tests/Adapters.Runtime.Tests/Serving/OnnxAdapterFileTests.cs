using Adapters.Core.Exported;
using Adapters.Core.Model;
using Adapters.Export.AdapterExport;
using Adapters.Runtime.Serving;
using Microsoft.ML.OnnxRuntime;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>Our .onnx_adapter files are what ONNX Runtime's own LoRA adapter loader reads, and mean the same to it.</summary>
[Collection(AdapterServingCollection.Name)]
public sealed class OnnxAdapterFileTests(AdapterExportFixture exports)
{
    static readonly int[] Prompt = [1, 403, 407, 261, 378];

    [Fact]
    public void WrittenFile_ReadsBackExactly()
    {
        TensorData[] parameters = [new("a", [2, 3], [1, 2, 3, 4, 5, 6]), new("b", [3], [-1, 0.5f, float.Epsilon]), new("empty", [0, 4], [])];
        var read = OnnxAdapterFile.Parse(OnnxAdapterWriter.ToBytes(parameters, adapterVersion: 7));

        Assert.Equal(7, read.AdapterVersion);
        Assert.Equal(parameters.Select(p => (p.Name, p.ShapeText, p.Data)), read.Parameters.Select(p => (p.Name, p.ShapeText, p.Data)));
    }

    [Theory]
    [InlineData("lora-a")]
    [InlineData("loreft")]
    public void OrtLoraAdapter_LoadsOurFile_AndGivesTheLogitsOfFeedingItOurselves(string name)
    {
        var model = exports.Swappable;
        var registry = new AdapterRegistry(model.Exported);
        registry.Load(name, AdapterExportFixture.ManifestPath(model, name));
        using var ours = new OnnxAdapterModel(model, registry, name).StartSession();
        var expected = ours.Forward(Prompt);

        using var ortAdapter = OrtLoraAdapter.Create(AdapterExportFixture.AdapterFilePath(model, name), null);
        using var batch = model.StartBatch(1);
        using var lease = registry.Acquire(name);
        using var masks = new AdapterInputBuilder(model.Exported.Manifest.Adapters!)
            .Build([lease.Adapter], [new RowWindow(0, Prompt.Length, Prompt.Length)], Prompt.Length);
        var maskOnly = masks.Values.Where(kv => kv.Key.StartsWith("residual_edit_mask", StringComparison.Ordinal)).ToDictionary();
        var actual = batch.Forward([Prompt], maskOnly, ortAdapter).Values.ToArray();

        TestRuntime.AssertClose(expected, actual, $"{name} through OrtLoraAdapter");
        using var plain = model.StartSession();
        Assert.True(TestRuntime.MaxAbsDiff(plain.Forward(Prompt), actual) > 0.01f, "the adapter changes nothing");
    }
}
