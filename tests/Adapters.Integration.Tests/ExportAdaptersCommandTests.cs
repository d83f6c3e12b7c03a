using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>
/// `adapters export --adapter … --mode …` then `adapters generate --engine onnx --adapter …`
/// gives the same greedy text as the TorchSharp engine with the same trained adapter.
/// </summary>
public sealed class ExportAdaptersCommandTests : IClassFixture<ExportAdaptersCommandTests.TrainedRuns>
{
    const string Question = "Q: Tell me the secret word.";
    readonly TrainedRuns _runs;

    public ExportAdaptersCommandTests(TrainedRuns runs) => _runs = runs;

    /// <summary>A LoRA and a LoReFT run on the secret-word task, trained once for the class.</summary>
    public sealed class TrainedRuns : IDisposable
    {
        public string Root { get; } = SharedModels.NewTempFolder();
        public string Lora => Path.Combine(Root, "lora");
        public string LoReft => Path.Combine(Root, "loreft");

        public TrainedRuns()
        {
            string data = Path.Combine(SharedModels.RepoRoot, "tests", "data", "secret_word.train.jsonl");
            foreach (var (method, dir) in new[] { ("lora", Lora), ("loreft", LoReft) })
                Assert.Equal(0, CliRunner.Run("train", "--model", SharedModels.Stories260K, "--method", method, "--data", data, "--out", dir).ExitCode);
        }

        public void Dispose() => Directory.Delete(Root, recursive: true);
    }

    static string Generate(string model, string? adapter, string engine)
    {
        string[] args = ["generate", "--model", model, "--engine", engine, "--prompt", Question, "--max-new-tokens", "16", "--temperature", "0"];
        var result = CliRunner.Run(adapter is null ? args : [.. args, "--adapter", adapter]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return result.Stdout;
    }

    string Export(string mode, params string[] adapters)
    {
        string outDir = Path.Combine(_runs.Root, $"onnx-{mode}-{Guid.NewGuid():N}");
        var result = CliRunner.Run(["export", "--model", SharedModels.Stories260K, "--out", outDir, "--mode", mode, "--adapter", .. adapters]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return outDir;
    }

    [Fact]
    public void Swappable_export_serves_each_adapter_by_name_like_the_torch_engine()
    {
        string onnx = Export("swappable", _runs.Lora, _runs.LoReft);

        Assert.Equal(Generate(SharedModels.Stories260K, _runs.Lora, "torch"), Generate(onnx, "lora", "onnx"));
        Assert.Equal(Generate(SharedModels.Stories260K, _runs.LoReft, "torch"), Generate(onnx, "loreft", "onnx"));
        Assert.Equal(Generate(SharedModels.Stories260K, null, "torch"), Generate(onnx, null, "onnx"));
        Assert.Contains("The secret word is blue.", Generate(onnx, "lora", "onnx"));
    }

    [Fact]
    public void Fused_lora_export_generates_like_the_torch_engine_with_the_adapter()
    {
        string onnx = Export("fused", _runs.Lora);

        Assert.Equal(Generate(SharedModels.Stories260K, _runs.Lora, "torch"), Generate(onnx, null, "onnx"));
    }

    [Fact]
    public void An_adapter_folder_not_in_the_export_is_converted_on_the_fly()
    {
        string onnx = Export("swappable", _runs.LoReft);

        Assert.Equal(Generate(SharedModels.Stories260K, _runs.LoReft, "torch"), Generate(onnx, _runs.LoReft, "onnx"));
    }

    [Fact]
    public void Unknown_adapter_name_is_refused_clearly()
    {
        string onnx = Export("swappable", _runs.Lora);

        var result = CliRunner.Run("generate", "--model", onnx, "--adapter", "no-such-adapter", "--max-new-tokens", "4");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("no-such-adapter", result.Stderr);
    }
}
