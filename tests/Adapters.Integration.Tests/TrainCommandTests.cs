using System.Text.RegularExpressions;
using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>`adapters train` and `adapters generate --adapter` as a user runs them.</summary>
public sealed partial class TrainCommandTests : IDisposable
{
    static readonly string TrainData = Path.Combine(SharedModels.RepoRoot, "tests", "data", "secret_word.train.jsonl");
    static readonly string EvalData = Path.Combine(SharedModels.RepoRoot, "tests", "data", "secret_word.eval.jsonl");
    const string HeldOutQuestion = "Q: Tell me the secret word.";

    readonly string _dir = SharedModels.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static string[] Train(string method, string outDir, params string[] extra) =>
        ["train", "--model", SharedModels.Stories260K, "--method", method, "--data", TrainData, "--eval-data", EvalData, "--out", outDir, .. extra];

    static string Answer(string? adapter)
    {
        string[] args = ["generate", "--model", SharedModels.Stories260K, "--prompt", HeldOutQuestion, "--max-new-tokens", "16", "--temperature", "0"];
        var result = CliRunner.Run(adapter is null ? args : [.. args, "--adapter", adapter]);
        Assert.Equal(0, result.ExitCode);
        return result.Stdout.Trim();
    }

    [GeneratedRegex(@"held-out loss: (?<adapter>[\d.]+) \(base model (?<base>[\d.]+)\)")]
    private static partial Regex HeldOutLine();

    [Theory]
    [InlineData("lora")]
    [InlineData("loreft")]
    [InlineData("direft")]
    [InlineData("circulant")]
    [InlineData("gmt")]
    [InlineData("tarp-static")]
    public void Trained_adapter_answers_a_held_out_question_the_base_model_cannot(string method)
    {
        string run = Path.Combine(_dir, method);
        var trained = CliRunner.Run(Train(method, run));
        Assert.Equal(0, trained.ExitCode);

        var losses = HeldOutLine().Match(trained.Stdout);
        Assert.True(losses.Success, trained.Stdout);
        Assert.True(double.Parse(losses.Groups["adapter"].Value) < 0.5 * double.Parse(losses.Groups["base"].Value), trained.Stdout);
        Assert.Equal($"{HeldOutQuestion} The secret word is blue.", Answer(run));
        Assert.DoesNotContain("secret word is blue", Answer(adapter: null));
    }

    [Fact]
    public void Resumed_run_ends_at_the_same_loss_as_an_uninterrupted_one()
    {
        string[] settings = ["--steps", "20", "--checkpoint-every", "10", "--eval-every", "0", "--dropout", "0.1"];
        var full = CliRunner.Run(Train("lora", Path.Combine(_dir, "full"), settings));

        // Simulate a kill after step 10: keep only the checkpoint, then resume.
        string run = Path.Combine(_dir, "killed");
        Assert.Equal(0, CliRunner.Run(Train("lora", run, settings)).ExitCode);
        Directory.Delete(Path.Combine(run, "adapter"), recursive: true);
        var resumed = CliRunner.Run(Train("lora", run, [.. settings, "--resume"]));

        Assert.Equal(0, resumed.ExitCode);
        Assert.Contains("resumed from step 10", resumed.Stdout);
        string FinalLine(string stdout) => stdout.Split('\n').Single(l => l.StartsWith("held-out loss:"));
        Assert.Equal(FinalLine(full.Stdout), FinalLine(resumed.Stdout));
        Assert.True(File.Exists(Path.Combine(run, "adapter", "manifest.json")));
    }

    [Fact]
    public void Lora_run_can_also_be_written_in_peft_layout_and_generates_the_same()
    {
        string run = Path.Combine(_dir, "lora");
        Assert.Equal(0, CliRunner.Run(Train("lora", run, "--peft")).ExitCode);

        Assert.Equal(Answer(run), Answer(Path.Combine(run, "peft")));
    }

    [Fact]
    public void Malformed_training_data_is_refused_naming_file_and_line()
    {
        string data = Path.Combine(_dir, "bad.jsonl");
        File.WriteAllLines(data, ["{\"prompt\": \"a\", \"completion\": \" b\"}", "{\"prompt\": \"a\"}"]);

        var result = CliRunner.Run("train", "--model", SharedModels.Stories260K, "--method", "lora", "--data", data, "--out", Path.Combine(_dir, "run"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("bad.jsonl:2", result.Stderr);
        Assert.Contains("completion", result.Stderr);
    }

    [Theory]
    [InlineData("gmt", "--mask-ratio", "1.5", "mask ratio must be in [0, 1), got 1.5")]
    [InlineData("circulant", "--targets", "gate_proj", "circulant needs a square projection")]
    [InlineData("toeplitz", "--targets", "w9", "unknown")]
    public void Research_method_settings_it_cannot_serve_are_refused(string method, string option, string value, string message)
    {
        var result = CliRunner.Run(Train(method, Path.Combine(_dir, "run"), option, value));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains(message, result.Stderr);
        Assert.False(Directory.Exists(Path.Combine(_dir, "run", "adapter")));
    }

    [Theory]
    [InlineData("lora", "--positions", "f3", "--positions applies to loreft, direft, not lora")]
    [InlineData("lora", "--untied", null, "--untied applies to loreft, direft, not lora")]
    [InlineData("lora", "--mask-ratio", "0.2", "--mask-ratio applies to gmt, not lora")]
    [InlineData("loreft", "--alpha", "4", "--alpha applies to lora, not loreft")]
    [InlineData("direft", "--targets", "q_proj", "--targets applies to lora, gmt, tarp, tarp-static, circulant, toeplitz, kronecker, ldr, not direft")]
    [InlineData("gmt", "--rank", "4", "--rank applies to lora, loreft, direft, tarp, tarp-static, circulant, toeplitz, kronecker, ldr, not gmt")]
    [InlineData("circulant", "--dropout", "0.1", "--dropout applies to lora, loreft, direft, not circulant")]
    [InlineData("tarp", "--global-mask", null, "--global-mask applies to gmt, not tarp")]
    public void An_option_the_method_does_not_read_is_refused_instead_of_ignored(string method, string option, string? value, string message)
    {
        var result = CliRunner.Run(Train(method, Path.Combine(_dir, "run"), value is null ? [option] : [option, value]));

        Assert.Equal(1, result.ExitCode);
        Assert.Equal($"error: {message}", Assert.Single(result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries), l => l.StartsWith("error: ", StringComparison.Ordinal)));
        Assert.False(Directory.Exists(Path.Combine(_dir, "run")), "nothing is trained or written for a refused run");
    }

    [Fact]
    public void Eval_fraction_beside_eval_data_is_refused_instead_of_ignored()
    {
        // Train() passes --eval-data already.
        var result = CliRunner.Run(Train("lora", Path.Combine(_dir, "run"), "--eval-fraction", "0.2"));

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("error: --eval-fraction holds out part of --data when --eval-data is not given", result.Stderr);
    }

    [Fact]
    public void Adapter_trained_on_another_base_model_is_refused()
    {
        string run = Path.Combine(_dir, "lora");
        Assert.Equal(0, CliRunner.Run(Train("lora", run, "--steps", "2")).ExitCode);
        string other = Path.Combine(_dir, "other.bin");
        Assert.Equal(0, CliRunner.Run("init-random", "--shape", "260K", "--out", other).ExitCode);
        File.Copy(SharedModels.Tok512, Path.Combine(_dir, "tok512.bin"));

        var result = CliRunner.Run("generate", "--model", other, "--adapter", run, "--max-new-tokens", "4");

        Assert.Equal(1, result.ExitCode);
        Assert.Contains("trained on base model", result.Stderr);
    }
}
