using Adapters.Core.Checkpoints;
using Adapters.Core.Tokenizers;
using Adapters.Export;
using Adapters.Runtime;
using Adapters.TestSupport;
using Adapters.Training.Compression;
using Adapters.Training.Engine;

namespace Adapters.Integration.Tests;

/// <summary>
/// An SFSD-compressed checkpoint (factorised projections y = U(Vx) + b, saved and reloaded in
/// the HF layout) exports to ONNX and runs in ONNX Runtime with the logits TorchSharp computes.
/// </summary>
public sealed class CompressedExportTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(SfsdMode.Feature)]
    [InlineData(SfsdMode.Weight)]
    public void Compressed_checkpoint_runs_in_onnx_runtime_like_torchsharp(SfsdMode mode)
    {
        var weights = Llama2cCheckpoint.Read(SharedModels.Stories260K);
        var tokenizer = TokenizerLoader.Load(SharedModels.Tok512, 512);
        var text = tokenizer.Encode(File.ReadAllText(Path.Combine(SharedModels.RepoRoot, "tests", "data", "stories_calibration.txt")));
        // Compress the MLP of two layers to a quarter of their break-even rank.
        int? Rank(int layer, string projection, int m, int n) =>
            layer is 1 or 3 && projection is "gate_proj" or "up_proj" or "down_proj"
                ? Math.Max(1, SfsdCompressor.MaxUsefulRank(m, n, SfsdMode.Weight) / 4) : null;
        var compressed = SfsdCompressor.CompressAtRanks(weights, text, text, mode, Rank, threads: 2);
        string hf = Path.Combine(_dir, "compressed");
        HfCheckpoint.Write(compressed.Weights, hf);
        var reloaded = CheckpointLoader.Load(hf);
        Assert.Equal(6, reloaded.Factorized.Count);

        string onnx = Path.Combine(_dir, "onnx");
        LlamaOnnxExporter.Export(reloaded, onnx);
        using var ort = OnnxDecoderModel.Load(onnx, new OnnxRuntimeOptions { Log = _ => { } });
        using var torch = new TorchDecoderModel(CompressedModel.Load(reloaded), ownsModel: true);
        using var plain = TorchDecoderModel.FromWeights(weights);

        float diff = AdapterExport.LogitComparison.MaxAbsDiff(torch, ort);
        Assert.True(diff <= AdapterExport.LogitComparison.Tolerance, $"max |torch - onnx| = {diff:E2}");
        Assert.True(AdapterExport.LogitComparison.MaxAbsDiff(plain, ort) > 1e-3f, "compression changed nothing");
        Assert.True(new FileInfo(Path.Combine(onnx, "model.onnx")).Length < OnnxSize(weights), "the compressed graph is not smaller");
    }

    long OnnxSize(Core.Model.LlamaWeights weights)
    {
        string dense = Path.Combine(_dir, "dense");
        LlamaOnnxExporter.Export(weights, dense);
        return new FileInfo(Path.Combine(dense, "model.onnx")).Length;
    }
}
