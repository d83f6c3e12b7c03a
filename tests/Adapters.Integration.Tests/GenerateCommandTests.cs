using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>The CLI contract: `adapters generate` prints only prompt + continuation on stdout.</summary>
public sealed class GenerateCommandTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static string[] GreedyArgs(string model, string engine) =>
        ["generate", "--model", model, "--tokenizer", SharedModels.Tok512, "--engine", engine,
         "--prompt", "", "--max-new-tokens", "60", "--temperature", "0"];

    /// <summary>60 tokens reach "…but it was too high"; the known text ends one token later with ".".</summary>
    static void AssertKnownOpening(string stdout)
    {
        string text = stdout.TrimEnd('\n');
        Assert.DoesNotContain('\n', text);
        Assert.StartsWith("Once upon a time, there was a little girl named Lily.", text);
        Assert.True(SharedModels.Stories260KGreedyOpening.StartsWith(text, StringComparison.Ordinal), $"not a prefix of the known opening: '{text}'");
        Assert.True(text.Length >= SharedModels.Stories260KGreedyOpening.Length - 1, $"only {text.Length} characters: '{text}'");
    }

    [Fact]
    public void Torch_engine_prints_the_known_stories260K_greedy_opening()
    {
        var result = CliRunner.Run(GreedyArgs(SharedModels.Stories260K, "torch"));

        Assert.Equal(0, result.ExitCode);
        AssertKnownOpening(result.Stdout);
    }

    [Fact]
    public void Onnx_engine_prints_the_known_stories260K_greedy_opening_from_an_exported_folder()
    {
        string onnx = Path.Combine(_dir, "onnx");
        var export = CliRunner.Run("export", "--model", SharedModels.Stories260K, "--tokenizer", SharedModels.Tok512, "--out", onnx);
        Assert.Equal(0, export.ExitCode);
        Assert.Equal("", export.Stdout);

        var result = CliRunner.Run(GreedyArgs(onnx, "onnx"));

        Assert.Equal(0, result.ExitCode);
        AssertKnownOpening(result.Stdout);
        // The CPU ONNX Runtime package has no CUDA provider: one calm line says which provider runs, no entry-point error.
        var providerLine = Assert.Single(result.Stderr.Split('\n'), l => l.Contains("onnxruntime: using", StringComparison.Ordinal));
        Assert.Contains("CPU execution provider (this ONNX Runtime package is the CPU build)", providerLine);
        Assert.DoesNotContain("CUDA unavailable", result.Stderr);
        Assert.DoesNotContain("entry point", result.Stderr);
    }

    [Fact]
    public void Onnx_folder_brings_its_own_tokenizer_and_engine()
    {
        string onnx = Path.Combine(_dir, "onnx");
        Assert.Equal(0, CliRunner.Run("export", "--model", SharedModels.Stories260K, "--out", onnx).ExitCode);

        var result = CliRunner.Run("generate", "--model", onnx, "--prompt", "Once upon", "--max-new-tokens", "8", "--temperature", "0");

        Assert.Equal(0, result.ExitCode);
        Assert.StartsWith("Once upon a time", result.Stdout);
    }

    [Fact]
    public void Seeded_sampling_is_reproducible_and_differs_across_seeds()
    {
        string[] Args(string seed) => ["generate", "--model", SharedModels.Stories260K, "--prompt", "Lily", "--max-new-tokens", "30",
            "--temperature", "1.0", "--top-p", "0.95", "--seed", seed];

        var a = CliRunner.Run(Args("1"));
        var b = CliRunner.Run(Args("1"));
        var c = CliRunner.Run(Args("2"));

        Assert.Equal(0, a.ExitCode);
        Assert.Equal(a.Stdout, b.Stdout);
        Assert.NotEqual(a.Stdout, c.Stdout);
        Assert.StartsWith("Lily", a.Stdout);
    }

    [Fact]
    public void Provider_cpu_serves_the_onnx_folder_cuda_is_refused_here_and_torch_takes_no_provider()
    {
        string onnx = Path.Combine(_dir, "onnx");
        Assert.Equal(0, CliRunner.Run("export", "--model", SharedModels.Stories260K, "--out", onnx).ExitCode);

        var cpu = CliRunner.Run("generate", "--model", onnx, "--prompt", "Once upon", "--max-new-tokens", "8", "--temperature", "0", "--provider", "cpu");
        // This (CPU) build has no CUDA provider, and no machine here has a GPU: a required CUDA fails saying so.
        var cuda = CliRunner.Run("generate", "--model", onnx, "--max-new-tokens", "4", "--provider", "cuda");
        var torch = CliRunner.Run("generate", "--model", SharedModels.Stories260K, "--max-new-tokens", "4", "--provider", "cuda");

        Assert.Equal(0, cpu.ExitCode);
        Assert.StartsWith("Once upon a time", cpu.Stdout);
        Assert.Contains("CPU execution provider", cpu.Stderr);
        Assert.NotEqual(0, cuda.ExitCode);
        Assert.Contains("CUDA execution provider was required", cuda.Stderr);
        Assert.DoesNotContain("   at ", cuda.Stderr);
        Assert.NotEqual(0, torch.ExitCode);
        Assert.Contains("--engine onnx", torch.Stderr);
    }
}
