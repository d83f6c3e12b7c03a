using Adapters.Core.Checkpoints;
using Adapters.Core.Exported;
using Adapters.Core.Generation;
using Adapters.Core.Tokenizers;
using Adapters.Export;
using Adapters.Export.AdapterExport;
using Adapters.Core.Model;
using Adapters.LlamaCpp.Tests;
using Adapters.Runtime;
using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>
/// What `adapters export --format gguf` writes, run by llama.cpp itself (LLamaSharp 0.30.0): the
/// base speaks stories260K's known llama2.c opening, and the LoRA file changes the text exactly as
/// our ONNX engine applies the same adapter.
/// </summary>
public sealed class ExportGgufLlamaSharpTests : IDisposable
{
    const int BosToken = 1;
    const int NewTokens = 40;
    readonly string _root = SharedModels.NewTempFolder("gguf-cli-llama");

    [Fact]
    public void Export_format_gguf_output_runs_in_llamacpp_as_in_our_engine()
    {
        var weights = Llama2cCheckpoint.Read(SharedModels.Stories260K);
        var tokenizer = Llama2cTokenizer.Load(SharedModels.Tok512, 512);
        var adapter = RandomAdapters.Lora(weights, seed: 7, rank: 4, targets: [.. LlamaTensorNames.Projections]);
        string adapterFolder = Path.Combine(_root, "all-lora");
        Core.Adapters.AdapterFolder.Write(adapterFolder, adapter.Manifest, adapter.Tensors.Values);
        string outDir = Path.Combine(_root, "gguf");

        var result = CliRunner.Run("export", "--model", SharedModels.Stories260K, "--out", outDir, "--format", "gguf", "--adapter", adapterFolder);
        Assert.True(result.ExitCode == 0, result.Stderr);

        string model = Path.Combine(outDir, "model.gguf");
        var prompt = tokenizer.Encode("Once upon a time, Lily saw a big red ball.", addBos: true);
        var llamaBase = LlamaCppGreedy.Run(model, null, [BosToken], NewTokens);
        var llamaLora = LlamaCppGreedy.Run(model, Path.Combine(outDir, "adapters", "all-lora.gguf"), prompt, NewTokens);
        var llamaLoraOff = LlamaCppGreedy.Run(model, null, prompt, NewTokens);

        Assert.StartsWith(tokenizer.Decode(llamaBase.Tokens.ToList()), SharedModels.Stories260KGreedyOpening);
        Assert.NotEqual(llamaLoraOff.Tokens, llamaLora.Tokens);
        string fused = Path.Combine(_root, "onnx-fused");
        AdapterExporter.Export(weights, [new AdapterSource("all-lora", adapter)], fused, new AdapterExportOptions { Mode = AdapterExportMode.Fused });
        using var onnx = OnnxDecoderModel.Load(fused, new OnnxRuntimeOptions { IntraOpThreads = 2, Log = _ => { } });
        Assert.Equal(TextGenerator.GenerateTokens(onnx, prompt, NewTokens, SamplingOptions.Greedy).ToList(), llamaLora.Tokens);
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }
}
