using System.Text.RegularExpressions;
using Adapters.Core.Checkpoints;
using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>`adapters pipeline`, `meta-train` and `compress` as a user runs them.</summary>
public sealed partial class ResearchCommandTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static string Data(string file) => Path.Combine(SharedModels.RepoRoot, "tests", "data", file);

    [Fact]
    public void Pipeline_agrees_across_engines_and_serves_the_trained_adapter_through_onnx_runtime()
    {
        var result = CliRunner.Run("pipeline", "--model", SharedModels.Stories260K, "--tokenizer", SharedModels.Tok512, "--data", Data("secret_word.train.jsonl"),
            "--out", Path.Combine(_dir, "onnx"), "--adapter-out", Path.Combine(_dir, "secret-lora"));

        Assert.True(result.ExitCode == 0, result.Stderr);
        var lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(lines[0]["torch: ".Length..], lines[1]["onnx:  ".Length..]);
        Assert.Equal("lora:  Q: Tell me the secret word. The secret word is blue.", lines[3]);
        Assert.DoesNotContain("secret word is blue", lines[2]);
    }

    [GeneratedRegex(@"fresh init (?<fresh>[\d.]+), meta-learned init (?<meta>[\d.]+)")]
    private static partial Regex Comparison();

    [Fact]
    public void Meta_train_saves_an_initialisation_and_reports_both_adaptation_losses()
    {
        string init = Path.Combine(_dir, "init");
        var result = CliRunner.Run("meta-train", "--model", SharedModels.Stories260K, "--method", "tarp-static", "--rank", "4",
            "--task", Data("secret_word.train.jsonl"), Data("color_recall.train.jsonl"), "--held-out-task", Data("favorite_food.train.jsonl"),
            "--outer-steps", "3", "--out", init);

        Assert.True(result.ExitCode == 0, result.Stderr);
        var m = Comparison().Match(result.Stdout);
        Assert.True(m.Success, result.Stdout);
        Assert.True(double.IsFinite(double.Parse(m.Groups["meta"].Value)));
        Assert.True(File.Exists(Path.Combine(init, "manifest.json")));
    }

    [Fact]
    public void Meta_train_refuses_bad_options_naming_them()
    {
        var result = CliRunner.Run("meta-train", "--method", "tarp-static", "--task", Data("secret_word.train.jsonl"),
            "--held-out-task", Data("color_recall.train.jsonl"), "--inner-steps", "0", "--out", Path.Combine(_dir, "init"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("inner steps must be positive, got 0", result.Stderr);
    }

    [Theory]
    [InlineData("--budget", "-0.1", "got -0.1")]
    [InlineData("--calibration", "no-such-text.txt", "no-such-text.txt")]
    [InlineData("--rank-fraction", "1.5", "--rank-fraction must be in (0, 1)")]
    public void Compress_refuses_bad_input_clearly(string option, string value, string message)
    {
        var result = CliRunner.Run("compress", "--model", SharedModels.Stories260K, "--out", Path.Combine(_dir, "c"), option, value);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_dir, "c")));
    }

    [Theory]
    [InlineData("--compare --out {out}", "--out does not apply to --compare")]
    [InlineData("--compare --budget 0.2", "--budget does not apply to --compare")]
    [InlineData("--compare --method sfsd-weight", "--method does not apply to --compare")]
    [InlineData("--compare --rank-fraction 0.5", "--rank-fraction does not apply to --compare")]
    [InlineData("--rank-fraction 0.5 --budget 0.2 --out {out}", "--budget sets the perplexity-budget search, which --rank-fraction replaces")]
    [InlineData("--seed 3 --out {out}", "--seed seeds the random weights of --shape")]
    public void Compress_refuses_an_option_its_mode_would_ignore(string options, string message)
    {
        var result = CliRunner.Run(["compress", "--model", SharedModels.Stories260K, .. options.Replace("{out}", Path.Combine(_dir, "c")).Split(' ')]);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains($"error: {message}", result.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_dir, "c")));
    }

    [Fact]
    public void Init_random_refuses_a_dtype_for_a_llama2c_file()
    {
        string output = Path.Combine(_dir, "r.bin");
        var result = CliRunner.Run("init-random", "--shape", "260K", "--dtype", "F16", "--out", output);

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: --dtype applies to --format hf", result.Stderr);
        Assert.False(File.Exists(output));
    }

    [Fact]
    public void Compress_at_a_rank_fraction_factorises_every_projection_at_that_fraction_of_break_even()
    {
        const double fraction = 0.5;
        string outDir = Path.Combine(_dir, "fraction");
        var result = CliRunner.Run("compress", "--model", SharedModels.Stories260K, "--tokenizer", SharedModels.Tok512, "--method", "sfsd-weight",
            "--rank-fraction", "0.5", "--calibration", Data("stories_calibration.txt"), "--held-out", Data("stories_heldout.txt"), "--threads", "2", "--out", outDir);

        Assert.True(result.ExitCode == 0, result.Stderr);
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(outDir, "config.json")))!;
        var factorized = config[HfCheckpoint.FactorizedKey]!.AsObject();
        var shape = Core.Model.ModelShapes.Get("260K");
        Assert.Equal(shape.NumLayers * Core.Model.LlamaTensorNames.Projections.Count, factorized.Count);
        foreach (int layer in Enumerable.Range(0, shape.NumLayers))
            foreach (string projection in Core.Model.LlamaTensorNames.Projections)
            {
                var (m, n) = Core.Model.LlamaTensorNames.ProjectionShape(shape, projection);
                int expected = Math.Max(1, (int)(fraction * Training.Compression.SfsdCompressor.MaxUsefulRank(m, n, Training.Compression.SfsdMode.Weight)));
                Assert.Equal(expected, (int)factorized[Core.Model.LlamaTensorNames.ProjectionModule(layer, projection)]!["rank"]!);
            }
        Assert.Equal(Path.GetFullPath(SharedModels.Stories260K), CompressionProvenance.TryRead(outDir)!.Model);
    }
}
