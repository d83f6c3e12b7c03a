using Adapters.Core.Adapters;
using Adapters.Core.Adapters.WeightDeltas;
using Adapters.Core.Model;
using Adapters.Core.Exported;
using Adapters.Export;
using Adapters.Export.AdapterExport;
using Adapters.Runtime;
using Adapters.Runtime.Serving;
using Adapters.Training.Engine;

namespace Adapters.Integration.Tests.AdapterExport;

/// <summary>
/// An adapter exported to ONNX gives ONNX Runtime the logits TorchSharp computes with the same
/// adapter (max abs difference ≤ 1e-4 over a prefill and decode steps) and the same greedy text.
/// </summary>
public sealed class AdapterExportParityTests(TorchAdapters adapters) : IClassFixture<TorchAdapters>, IDisposable
{
    static readonly OnnxRuntimeOptions Quiet = new() { IntraOpThreads = 2, Log = _ => { } };
    readonly string _out = Path.Combine(adapters.Root, "out-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        if (Directory.Exists(_out)) Directory.Delete(_out, recursive: true);
    }

    [Fact]
    public void FusedLora_MatchesTorch()
    {
        AdapterExporter.Export(adapters.Weights, [adapters.Folder(AdapterMethods.Lora)], _out,
            new AdapterExportOptions { Mode = AdapterExportMode.Fused, Model = new LlamaExportOptions { IntraOpThreads = 2 } });
        using var onnx = OnnxDecoderModel.Load(_out, Quiet);
        using var torch = adapters.Reference(AdapterMethods.Lora);
        using var plainTorch = Training.Engine.TorchDecoderModel.FromWeights(adapters.Weights);

        LogitComparison.AssertParity(torch, onnx, plainTorch);
    }

    public static TheoryData<string> FoldableMethods => [.. TorchAdapters.FoldableMethods];

    [Theory]
    [MemberData(nameof(FoldableMethods))]
    public void FusedWeightDeltaMethod_MatchesTorch(string method)
    {
        AdapterExporter.Export(adapters.Weights, [adapters.Folder(method)], _out,
            new AdapterExportOptions { Mode = AdapterExportMode.Fused, Model = new LlamaExportOptions { IntraOpThreads = 2 } });
        using var onnx = OnnxDecoderModel.Load(_out, Quiet);
        using var torch = adapters.Reference(method);
        using var plainTorch = Training.Engine.TorchDecoderModel.FromWeights(adapters.Weights);

        LogitComparison.AssertParity(torch, onnx, plainTorch);
    }

    public static TheoryData<string> Methods => [.. TorchAdapters.Methods];

    [Theory]
    [MemberData(nameof(Methods))]
    public void SwappableAdapter_MatchesTorch(string method)
    {
        AdapterExporter.Export(adapters.Weights, [adapters.Folder(method)], _out,
            new AdapterExportOptions { Mode = AdapterExportMode.Swappable, Model = new LlamaExportOptions { IntraOpThreads = 2 } });
        using var onnx = OnnxDecoderModel.Load(_out, Quiet);
        var registry = AdapterRegistry.WithExportedAdapters(onnx.Exported);
        using var adapted = new OnnxAdapterModel(onnx, registry, method);
        using var baseOnly = new OnnxAdapterModel(onnx, registry, adapterName: null);
        using var torch = adapters.Reference(method);

        LogitComparison.AssertParity(torch, adapted, baseOnly);
    }

    /// <summary>Circulant stands for the weight deltas with no LoRA form (SURM, GMT, ...): one generic SVD rule carries them all.</summary>
    const string SvdMethod = AdapterMethods.Circulant;

    /// <summary>Rank well below the full one, so the compression really loses something.</summary>
    const int SmallSvdRank = 4;

    [Fact]
    public void SwappableWeightDelta_AtFullSvdRank_MatchesTorch()
    {
        var config = adapters.Weights.Config;
        int fullRank = config.Dim; // = min(out, in): circulant targets the square q_proj / o_proj
        var result = AdapterExporter.Export(adapters.Weights, [adapters.Folder(SvdMethod)], _out,
            new AdapterExportOptions { Mode = AdapterExportMode.Swappable, SvdRank = fullRank, Model = new LlamaExportOptions { IntraOpThreads = 2 } });
        using var onnx = OnnxDecoderModel.Load(_out, Quiet);
        var registry = AdapterRegistry.WithExportedAdapters(onnx.Exported);
        using var adapted = new OnnxAdapterModel(onnx, registry, SvdMethod);
        using var baseOnly = new OnnxAdapterModel(onnx, registry, adapterName: null);
        using var torch = adapters.Reference(SvdMethod);

        Assert.InRange(result.Adapters.Single().SvdRelativeError!.Value, 0, 1e-5);
        LogitComparison.AssertParity(torch, adapted, baseOnly);
    }

    [Fact]
    public void SwappableWeightDelta_AtSmallSvdRank_ReportsTheTruncatedSvdError()
    {
        var result = AdapterExporter.Export(adapters.Weights, [adapters.Folder(SvdMethod)], _out,
            new AdapterExportOptions { Mode = AdapterExportMode.Swappable, SvdRank = SmallSvdRank, Model = new LlamaExportOptions { IntraOpThreads = 2 } });
        var manifest = result.Adapters.Single();
        var written = ExportedAdapterManifest.Read(Path.Combine(_out, AdapterExporter.AdaptersFolder, manifest.Name + ExportedAdapterManifest.FileSuffix));

        var config = adapters.Weights.Config;
        var delta = new AdapterWeightDelta(AdapterFolder.Read(adapters.Folder(SvdMethod), config, adapters.Fingerprint), config);
        double residual = 0, norm = 0;
        foreach (var (layer, projection) in delta.Targets)
        {
            var (o, i) = LlamaTensorNames.ProjectionShape(config, projection);
            var svd = TruncatedSvd.Compute(delta.Materialize(layer, projection), o, i, SmallSvdRank);
            Assert.Equal(svd.RelativeError, manifest.SvdProjectionErrors![LlamaTensorNames.ProjectionModule(layer, projection)], 1e-9);
            residual += svd.ResidualNorm * svd.ResidualNorm;
            norm += svd.Norm * svd.Norm;
        }
        // Packed per projection group: rank k for each targeted member, side by side.
        foreach (var byGroup in delta.Targets.GroupBy(t => (t.Layer, Group: ProjectionGroup.Of(t.Projection))))
        {
            var (layer, group) = byGroup.Key;
            int packedRank = SmallSvdRank * byGroup.Count();
            Assert.Equal([packedRank, group.InFeatures(config)], manifest.Inputs[AdapterInputNames.LoraA(layer, group)]);
            Assert.Equal([group.MemberOutFeatures(config).Sum(), packedRank], manifest.Inputs[AdapterInputNames.LoraB(layer, group)]);
        }
        Assert.Equal(SmallSvdRank, manifest.Rank);
        Assert.True(manifest.SvdRelativeError > 0);
        Assert.Equal(Math.Sqrt(residual / norm), manifest.SvdRelativeError!.Value, 1e-9);
        Assert.Equal(manifest.SvdRelativeError, written.SvdRelativeError);
    }

    [Fact]
    public void SwappableWeightDelta_WithoutSvdRank_IsRefusedNamingTheOption()
    {
        var error = Assert.Throws<ArgumentException>(() => AdapterExporter.Export(adapters.Weights, [adapters.Folder(SvdMethod)], _out,
            new AdapterExportOptions { Mode = AdapterExportMode.Swappable }));
        Assert.Contains("--svd-rank", error.Message);
        Assert.Contains("fused", error.Message);
        Assert.False(Directory.Exists(_out));
    }

    [Fact]
    public void FusingReft_IsRefusedWithAReason()
    {
        var error = Assert.Throws<ArgumentException>(() => AdapterExporter.Export(adapters.Weights, [adapters.Folder(AdapterMethods.LoReft)], _out,
            new AdapterExportOptions { Mode = AdapterExportMode.Fused }));
        Assert.Contains("cannot be fused", error.Message);
        Assert.False(Directory.Exists(_out));
    }

    /// <summary>
    /// TARP (per-token core) has no export in any mode: fused is refused with the same reason as
    /// swappable (AdapterMethods.NotExportable), not with ReFT's "edits prompt positions" followed by
    /// advice to export it swappable, which then refuses it too.
    /// </summary>
    [Theory]
    [InlineData(AdapterExportMode.Fused)]
    [InlineData(AdapterExportMode.Swappable)]
    [InlineData(AdapterExportMode.Batched)]
    public void ExportingTarp_IsRefusedWithItsReasonInEveryMode(AdapterExportMode mode)
    {
        string folder = Path.Combine(adapters.Root, "tarp-" + Guid.NewGuid().ToString("N"));
        using (var model = Training.Model.LlamaModel.FromWeights(adapters.Weights))
        using (var method = Training.Methods.AdapterMethodRegistry.Create(AdapterMethods.Tarp, new TarpConfig { Rank = 2, TargetModules = ["v_proj"] }, adapters.Weights.Config, seed: 1))
        {
            method.Attach(model);
            Training.Methods.AdapterStore.Save(folder, method, adapters.Fingerprint);
        }
        var error = Assert.Throws<ArgumentException>(() => AdapterExporter.Export(adapters.Weights, [folder], _out, new AdapterExportOptions { Mode = mode }));
        Assert.Equal($"a tarp adapter cannot be exported: {AdapterMethods.NotExportable[AdapterMethods.Tarp]}", error.Message);
        Assert.False(Directory.Exists(_out));
    }
}
