using System.Text.Json;
using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>
/// `adapters export --quantize int8|int4`: the folder it writes generates, its manifest and log
/// report the quantization error, and options that do not apply are refused by name.
/// </summary>
public sealed class ExportQuantizedCommandTests : IDisposable
{
    readonly string _root = SharedModels.NewTempFolder("quantized-cli");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    [Fact]
    public void Int8_export_with_an_int8_classifier_reports_its_error_and_generates_the_fp32_text()
    {
        string outDir = Path.Combine(_root, "int8");
        var export = CliRunner.Run("export", "--model", SharedModels.Stories260K, "--out", outDir, "--quantize", "int8", "--quantize-classifier", "int8", "--block-size", "64");

        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.Contains("export: int8 MatMulNBits (block 64, accuracy level 4, classifier int8): relative Frobenius error", export.Stderr);
        using var manifest = JsonDocument.Parse(File.ReadAllText(Path.Combine(outDir, "model_manifest.json")));
        var q = manifest.RootElement.GetProperty("quantization");
        Assert.Equal(8, q.GetProperty("bits").GetInt32());
        Assert.Equal(64, q.GetProperty("block_size").GetInt32());
        Assert.Equal(8, q.GetProperty("classifier_bits").GetInt32());
        Assert.InRange(q.GetProperty("relative_error").GetDouble(), 1e-4, 0.01);
        Assert.True(q.GetProperty("projection_errors").TryGetProperty("lm_head.weight", out _));

        var generated = CliRunner.Run("generate", "--model", outDir, "--engine", "onnx", "--prompt", "", "--max-new-tokens", "40", "--temperature", "0");
        Assert.True(generated.ExitCode == 0, generated.Stderr);
        // int8 weights (0.5 % error) keep stories260K's greedy opening.
        Assert.StartsWith("Once upon a time, there was a little girl named Lily. She loved to play outside", generated.Stdout);
    }

    [Fact]
    public void Profile_of_an_int4_export_counts_its_MatMulNBits_kernels_per_decode_run()
    {
        string model = Path.Combine(_root, "int4");
        Assert.Equal(0, CliRunner.Run("export", "--model", SharedModels.Stories260K, "--out", model, "--quantize", "int4").ExitCode);
        string outDir = Path.Combine(_root, "profile");

        var result = CliRunner.Run("profile", "--model", model, "--steps", "8", "--threads", "2", "--out", outDir);

        Assert.True(result.ExitCode == 0, result.Stderr);
        Assert.Contains("8 decode runs:", result.Stdout);
        // 5 layers × 4 projection groups; the classifier stays fp32 (a Gemm).
        Assert.Contains("| MatMulNBits | 20 |", result.Stdout);
        Assert.Contains("| Gemm | 1 |", result.Stdout);
        Assert.Single(Directory.GetFiles(outDir, "ort_profile*.json"));
        Assert.True(File.Exists(Path.Combine(outDir, "profile.md")));
    }

    [Fact]
    public void Profile_with_genai_puts_GenAIs_kernels_and_host_work_beside_ours_on_the_same_graph()
    {
        string model = Path.Combine(_root, "plain");
        Assert.Equal(0, CliRunner.Run("export", "--model", SharedModels.Stories260K, "--out", model).ExitCode);
        string outDir = Path.Combine(_root, "profile-genai");

        var result = CliRunner.Run("profile", "--model", model, "--steps", "8", "--threads", "2", "--genai", "--out", outDir);

        Assert.True(result.ExitCode == 0, result.Stderr);
        // The same graph: both engines run the same number of kernels per decode run.
        var kernels = System.Text.RegularExpressions.Regex.Matches(result.Stdout, @"8 decode runs: .*; (\d+) kernels per run").Select(m => m.Groups[1].Value).ToList();
        Assert.Equal(2, kernels.Count);
        Assert.Equal(kernels[0], kernels[1]);
        Assert.Matches(@"\| ours \| 8 \| [\d.]+ \| [\d.]+ \| -?[\d.]+ \|", result.Stdout);
        Assert.Matches(@"\| GenAI \| 8 \| [\d.]+ \| [\d.]+ \| -?[\d.]+ \|", result.Stdout);
        // Both rows end with the GCs and the page faults per step (Linux counts them).
        Assert.Matches(@"\| ours \| 8 \|.*\| \d+ / \d+ \| [\d.]+ \|", result.Stdout);
        Assert.Matches(@"\| GenAI \| 8 \|.*\| \d+ / \d+ \| [\d.]+ \|", result.Stdout);
        Assert.Single(Directory.GetFiles(outDir, "genai_profile*.json"));
        Assert.False(Directory.GetFiles(model, "*profile*").Any(), "the exported folder was written to");
    }

    [Theory]
    [InlineData(new[] { "--quantize", "int3" }, "--quantize 'int3' is not supported; use int8 or int4")]
    [InlineData(new[] { "--block-size", "64" }, "--block-size applies only with --quantize int8 or int4")]
    [InlineData(new[] { "--quantize-classifier", "int8" }, "--quantize-classifier applies only with --quantize int8 or int4")]
    [InlineData(new[] { "--quantize", "int4", "--block-size", "24" }, "power of two and at least 16")]
    [InlineData(new[] { "--quantize", "int4", "--accuracy-level", "7" }, "accuracy level must be")]
    [InlineData(new[] { "--quantize", "int4", "--format", "gguf" }, "--quantize applies to ONNX exports only")]
    public void Options_that_do_not_apply_are_refused_by_name(string[] options, string fragment)
    {
        string outDir = Path.Combine(_root, "refused");
        var result = CliRunner.Run(["export", "--model", SharedModels.Stories260K, "--out", outDir, .. options]);

        Assert.Equal(1, result.ExitCode);
        var error = Assert.Single(result.Stderr.Split('\n'), l => l.StartsWith("error: ", StringComparison.Ordinal));
        Assert.Contains(fragment, error);
        Assert.False(Directory.Exists(outDir));
    }
}
