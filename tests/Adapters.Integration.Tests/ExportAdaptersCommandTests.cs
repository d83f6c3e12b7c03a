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

    /// <summary>
    /// `adapters quant-eval` with the trained adapters (loose bounds; the figures of this model are
    /// in README): int8 keeps fp32's behaviour, int4 costs perplexity and agreement but the LoRA's
    /// held-out answers stay right; the LoReFT's stay right on int8 (on int4 they are lost: README).
    /// </summary>
    [Theory]
    [InlineData("lora", 5)]
    [InlineData("loreft", null)]
    public void Quant_eval_scores_int8_and_int4_against_fp32_and_the_trained_adapter_still_answers(string method, int? int4AnswersRight)
    {
        string outDir = Path.Combine(_runs.Root, $"quant-eval-{method}");
        string eval = Path.Combine(SharedModels.RepoRoot, "tests", "data", "secret_word.eval.jsonl");
        var result = CliRunner.Run("quant-eval", "--model", SharedModels.Stories260K, "--tokenizer", SharedModels.Tok512,
            "--text", Path.Combine(SharedModels.RepoRoot, "tests", "data", "stories_heldout.txt"),
            "--adapter", method == "lora" ? _runs.Lora : _runs.LoReft, "--eval-data", eval, "--threads", "2", "--out", outDir);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("| precision | weight error (rel. Frobenius) | perplexity |", result.Stdout);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "quant_eval.json")));
        var rows = json.RootElement.GetProperty("rows").EnumerateArray().ToDictionary(r => r.GetProperty("precision").GetString()!);
        double Get(string precision, string key) => rows[precision].GetProperty(key).GetDouble();
        Assert.Equal(1.0, Get("fp32", "greedy_agreement"));
        Assert.Equal(256, rows["fp32"].GetProperty("identical_greedy_prefix").GetInt32());
        Assert.Equal(5, rows["fp32"].GetProperty("adapter_answers_right").GetInt32());
        Assert.InRange(Get("int8", "perplexity_ratio"), 0.98, 1.02);
        Assert.InRange(Get("int8", "greedy_agreement"), 0.95, 1.0);
        Assert.Equal(5, rows["int8"].GetProperty("adapter_answers_right").GetInt32());
        Assert.InRange(Get("int4", "perplexity_ratio"), 1.0, 1.25);
        Assert.InRange(Get("int4", "greedy_agreement"), 0.8, 1.0);
        Assert.True(Get("int4", "relative_weight_error") > 8 * Get("int8", "relative_weight_error"));
        if (int4AnswersRight is { } right) Assert.Equal(right, rows["int4"].GetProperty("adapter_answers_right").GetInt32());
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
