using Adapters.Core.Checkpoints;
using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>Bad input through the CLI: exit code 1, one "error: FILE: problem" line, nothing on stdout.</summary>
public sealed class CliErrorTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static void AssertOneClearError(CliRunner.Result result, params string[] fragments)
    {
        Assert.Equal(1, result.ExitCode);
        Assert.Equal("", result.Stdout);
        var lines = result.Stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var error = Assert.Single(lines, l => l.StartsWith("error: ", StringComparison.Ordinal));
        foreach (string f in fragments) Assert.Contains(f, error);
        Assert.DoesNotContain("   at ", result.Stderr); // no stack trace
    }

    [Theory]
    [InlineData("\"model_type\": \"llama\"", "\"model_type\": \"qwen3\"", "model_type is 'qwen3'")]
    [InlineData("\"model_type\": \"llama\"", "\"model_type\": \"llama\", \"use_sliding_window\": true", "use_sliding_window is true")]
    [InlineData("\"model_type\": \"llama\"", "\"model_type\": \"llama\", \"num_local_experts\": 8", "mixture-of-experts")]
    [InlineData("\"model_type\": \"llama\"", "\"model_type\": \"llama\", \"rope_scaling\": {\"rope_type\": \"yarn\"}", "rope_scaling type 'yarn'")]
    [InlineData("LlamaForCausalLM", "GPT2LMHeadModel", "architectures is 'GPT2LMHeadModel'")]
    public void Unsupported_hf_config_is_named_by_generate(string from, string to, string fragment)
    {
        string folder = Path.Combine(_dir, "hf");
        HfCheckpoint.Write(RandomCheckpoint.Create(Adapters.Core.Model.ModelShapes.Get("260K"), seed: 1), folder);
        string config = Path.Combine(folder, "config.json");
        string text = System.Text.RegularExpressions.Regex.Replace(File.ReadAllText(config), "\\s*:\\s*", ": ");
        Assert.Contains(from, text);
        File.WriteAllText(config, text.Replace(from, to));

        var result = CliRunner.Run("generate", "--model", folder, "--tokenizer", SharedModels.Tok512, "--max-new-tokens", "4");

        AssertOneClearError(result, "config.json", fragment);
    }

    [Fact]
    public void Truncated_checkpoint_is_named_with_both_sizes()
    {
        string path = Path.Combine(_dir, "truncated.bin");
        File.WriteAllBytes(path, File.ReadAllBytes(SharedModels.Stories260K).AsSpan(0, 500_000).ToArray());

        var result = CliRunner.Run("generate", "--model", path, "--tokenizer", SharedModels.Tok512, "--max-new-tokens", "4");

        AssertOneClearError(result, "truncated.bin", "500,000", "1,056,540", "truncated");
    }

    [Fact]
    public void Tokenizer_of_the_wrong_format_is_named()
    {
        var result = CliRunner.Run("generate", "--model", SharedModels.Stories260K, "--tokenizer", SharedModels.Stories260K, "--max-new-tokens", "4");

        AssertOneClearError(result, "stories260K.bin", "not a tokenizer");
    }

    [Fact]
    public void Hf_folder_missing_a_tensor_is_named()
    {
        string hf = Path.Combine(_dir, "hf");
        HfCheckpoint.Write(Llama2cCheckpoint.Read(SharedModels.Stories260K), hf);
        string weights = Path.Combine(hf, HfCheckpoint.WeightsFile);
        var file = SafeTensorsFile.Open(weights);
        var kept = file.Entries.Where(e => e.Name != "model.layers.2.mlp.up_proj.weight")
            .Select(e => SafeTensorsFile.Float(file.ReadFloat(e.Name))).ToList();
        SafeTensorsFile.Write(weights, kept);

        var result = CliRunner.Run("export", "--model", hf, "--tokenizer", SharedModels.Tok512, "--out", Path.Combine(_dir, "onnx"));

        AssertOneClearError(result, "model.safetensors", "model.layers.2.mlp.up_proj.weight");
        Assert.False(Directory.Exists(Path.Combine(_dir, "onnx")));
    }

    [Theory]
    [InlineData("generate", "--temperature", "abc", "a number")]
    [InlineData("export", "--mode", "nonsense", "AdapterExportMode")]
    public void Malformed_option_gives_one_error_line_without_type_names_or_help(string command, string option, string value, string expected)
    {
        var result = CliRunner.Run(command, "--model", SharedModels.Stories260K, "--tokenizer", SharedModels.Tok512, option, value);

        AssertOneClearError(result, value, expected);
        Assert.DoesNotContain("System.", result.Stderr);
        Assert.DoesNotContain("Usage:", result.Stderr);
    }

    [Fact]
    public void Invalid_sampling_settings_are_refused_naming_the_value()
    {
        var result = CliRunner.Run("generate", "--model", SharedModels.Stories260K, "--temperature", "-1");

        AssertOneClearError(result, "temperature", "-1");
    }

    [Theory]
    [InlineData("generate", "--temperature", "abc")]
    [InlineData("export", "--mode", "nonsense")]
    public void Malformed_option_is_one_error_line_naming_option_and_value(string command, string option, string value)
    {
        string[] args = command == "generate"
            ? ["generate", "--model", SharedModels.Stories260K, option, value]
            : ["export", "--model", SharedModels.Stories260K, "--out", Path.Combine(_dir, "x"), option, value];

        var result = CliRunner.Run(args);

        AssertOneClearError(result, option, value);
        Assert.DoesNotContain("System.", result.Stderr);   // no .NET type names
        Assert.DoesNotContain("Usage:", result.Stderr);    // no help dump
    }

    [Fact]
    public void Missing_shape_file_is_reported_as_file_not_found()
    {
        string missing = Path.Combine(_dir, "missing.json");
        var result = CliRunner.Run("init-random", "--shape", missing, "--out", Path.Combine(_dir, "r.bin"));

        AssertOneClearError(result, missing, "file not found");
    }
}
