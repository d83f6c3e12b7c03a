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

    /// <summary>A tiny Qwen3 folder (q/k norm, head_dim 12 ≠ 32/4) whose config.json gets the given fields.</summary>
    string Qwen3Folder(int vocab = 512, params (string Field, string Json)[] fields)
    {
        string folder = Path.Combine(_dir, "qwen3");
        var config = new Adapters.Core.Model.LlamaConfig
        {
            Family = "qwen3", Dim = 32, HiddenDim = 48, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, HeadDim = 12, QkNorm = true, VocabSize = vocab, MaxSeqLen = 64,
        };
        HfCheckpoint.Write(RandomCheckpoint.Create(config, seed: 1), folder);
        string path = Path.Combine(folder, "config.json");
        var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        foreach (var (field, value) in fields) json[field] = System.Text.Json.Nodes.JsonNode.Parse(value);
        File.WriteAllText(path, json.ToJsonString());
        return folder;
    }

    public static TheoryData<string, string, string> UnsupportedConfigs => new()
    {
        { "architectures", "[\"Qwen3MoeForCausalLM\"]", "architectures is 'Qwen3MoeForCausalLM', which is not supported" },
        { "model_type", "\"qwen2_vl\"", "model_type is 'qwen2_vl', which is not supported" },
        { "rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 32}", "rope_scaling type 'yarn' is not supported" },
        { "rope_scaling", "{\"rope_type\": \"dynamic\", \"factor\": 2.0}", "rope_scaling type 'dynamic' is not supported" },
        { "use_sliding_window", "true", "use_sliding_window is true with sliding_window 16 on layers 1..1" },
        { "num_experts", "8", "num_experts is 8: mixture-of-experts models are not supported" },
        { "vision_config", "{}", "multimodal models are not supported" },
        { "mlp_bias", "true", "mlp_bias is true" },
    };

    [Theory]
    [MemberData(nameof(UnsupportedConfigs))]
    public void Unsupported_hf_config_is_named_by_generate(string field, string value, string fragment)
    {
        var fields = field == "use_sliding_window" ? new[] { (field, value), ("sliding_window", "16"), ("max_window_layers", "1") } : [(field, value)];
        string folder = Qwen3Folder(fields: fields);

        var result = CliRunner.Run("generate", "--model", folder, "--tokenizer", Path.Combine(SharedModels.Root, "tokenizers", "qwen3"), "--max-new-tokens", "4");

        AssertOneClearError(result, Path.Combine(folder, "config.json"), fragment);
    }

    [Fact]
    public void A_tokenizer_with_more_ids_than_the_models_embedding_is_named_with_both_numbers()
    {
        string folder = Qwen3Folder(vocab: 1000);
        string tokenizer = Path.Combine(SharedModels.Root, "tokenizers", "qwen3");

        var result = CliRunner.Run("generate", "--model", folder, "--tokenizer", tokenizer, "--max-new-tokens", "4");

        AssertOneClearError(result, "tokenizer.json", "151669 tokens", "only 1000 rows");
    }

    /// <summary>A copy of the real Qwen3 tokenizer folder whose tokenizer.json / tokenizer_config.json are edited.</summary>
    string Qwen3TokenizerCopy(Action<System.Text.Json.Nodes.JsonObject>? tokenizer = null, Action<System.Text.Json.Nodes.JsonObject>? config = null)
    {
        string folder = Path.Combine(_dir, "qwen3-tokenizer");
        Directory.CreateDirectory(folder);
        foreach (var (file, edit) in new[] { ("tokenizer.json", tokenizer), ("tokenizer_config.json", config) })
        {
            var json = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(HfTokenizerFiles.Folder("qwen3"), file)))!.AsObject();
            edit?.Invoke(json);
            File.WriteAllText(Path.Combine(folder, file), json.ToJsonString());
        }
        return folder;
    }

    [Theory]
    [InlineData("Unigram")]
    [InlineData("WordPiece")]
    public void A_tokenizer_json_of_an_unsupported_model_type_is_named(string type)
    {
        string tokenizer = Qwen3TokenizerCopy(tokenizer: json => json["model"]!["type"] = type);

        var result = CliRunner.Run("generate", "--model", Qwen3Folder(vocab: 151936), "--tokenizer", tokenizer, "--max-new-tokens", "4");

        AssertOneClearError(result, Path.Combine(tokenizer, "tokenizer.json"), $"model.type: model type \"{type}\" is not supported (supported: BPE)");
    }

    [Fact]
    public void An_unsupported_jinja_construct_is_named_with_its_line()
    {
        const string template = "{%- for message in messages %}\n{{- '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}\n{%- endfor %}\n{% include 'footer.jinja' %}";
        string tokenizer = Qwen3TokenizerCopy(config: json => json["chat_template"] = template);
        string messages = Path.Combine(_dir, "messages.json");
        File.WriteAllText(messages, """[{"role": "user", "content": "Hello!"}]""");

        var result = CliRunner.Run("tokenize", "--tokenizer", tokenizer, "--chat", messages);

        AssertOneClearError(result, $"{Path.Combine(tokenizer, "tokenizer_config.json")}: line 4: unsupported statement 'include'");
    }

    [Fact]
    public void A_qwen2_checkpoint_relabelled_llama_is_named_with_its_unused_biases()
    {
        string folder = Path.Combine(_dir, "qwen2");
        var config = Adapters.Core.Model.ModelShapes.Get("260K") with { Family = "qwen2", QkvBias = true };
        HfCheckpoint.Write(RandomCheckpoint.Create(config, seed: 1), folder);
        string path = Path.Combine(folder, "config.json");
        File.WriteAllText(path, File.ReadAllText(path).Replace("Qwen2ForCausalLM", "LlamaForCausalLM").Replace("\"qwen2\"", "\"llama\""));

        var result = CliRunner.Run("generate", "--model", folder, "--tokenizer", SharedModels.Tok512, "--max-new-tokens", "4");

        AssertOneClearError(result, "model.safetensors", "15 tensor(s) this model does not use: model.layers.0.self_attn.k_proj.bias");
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

    [Theory]
    [InlineData(false, "--mode batched", "--mode applies only with --adapter")]
    [InlineData(false, "--slots 4", "--slots applies only with --adapter")]
    [InlineData(false, "--svd-rank 4", "--svd-rank applies only with --adapter")]
    [InlineData(true, "--slots 2", "slots apply to a batched export only, not Swappable")]
    [InlineData(true, "--mode fused --slots 2", "slots apply to a batched export only, not Fused")]
    [InlineData(true, "--mode fused --svd-rank 4", "an SVD rank applies to swappable and batched exports")]
    [InlineData(true, "--svd-rank 0", "the SVD rank must be >= 1, got 0")]
    public void An_export_option_its_mode_does_not_use_is_refused_instead_of_ignored(bool withAdapter, string options, string expected)
    {
        var weights = Llama2cCheckpoint.Read(SharedModels.Stories260K);
        var adapter = RandomAdapters.Lora(weights, seed: 5, rank: 2);
        string adapterFolder = Path.Combine(_dir, "lora");
        Core.Adapters.AdapterFolder.Write(adapterFolder, adapter.Manifest, adapter.Tensors.Values);
        string output = Path.Combine(_dir, "export");
        string[] args = ["export", "--model", SharedModels.Stories260K, "--tokenizer", SharedModels.Tok512, "--out", output, .. options.Split(' ')];

        var result = CliRunner.Run(withAdapter ? [.. args, "--adapter", adapterFolder] : args);

        AssertOneClearError(result, expected);
        Assert.False(Directory.Exists(output), "nothing is written for a refused export");
    }

    [Theory]
    [InlineData("--adapters")]
    [InlineData("--max-loaded-adapters")]
    [InlineData("--adapter-load-timeout")]
    public void A_serve_adapter_option_on_an_export_without_adapter_inputs_is_refused_instead_of_ignored(string option)
    {
        string export = Path.Combine(_dir, "plain");
        Assert.Equal(0, CliRunner.Run("export", "--model", SharedModels.Stories260K, "--tokenizer", SharedModels.Tok512, "--out", export).ExitCode);

        // --request-timeout 0 is refused after this check: were the option ignored again, the test fails on that instead of serving for ever.
        var result = CliRunner.Run("serve", "--model", export, "--port", "0", "--request-timeout", "0", option, option == "--adapters" ? _dir : "5");

        AssertOneClearError(result, $"{option} applies only to a model exported with adapter inputs (--mode swappable or batched)", export);
    }

    [Theory]
    [InlineData("generate")]
    [InlineData("train")]
    [InlineData("serve")]
    [InlineData("bench")]
    [InlineData("profile")]
    public void A_negative_thread_count_is_refused_naming_the_option_before_anything_runs(string command)
    {
        // Only the options each command requires, with placeholder values: the option is checked before any of them is read.
        string[] required = command switch
        {
            "train" => ["--method", "lora", "--data", "x.jsonl", "--out", Path.Combine(_dir, "t")],
            "bench" => ["--quick", "--out", Path.Combine(_dir, "b")],
            _ => [],
        };
        string[] model = command == "bench" ? [] : ["--model", SharedModels.Stories260K];

        var result = CliRunner.Run([command, .. model, .. required, "--threads", "-1"]);

        AssertOneClearError(result, "--threads must be >= 0 (0 or unset: all cores), got -1");
    }

    [Fact]
    public void Serve_refuses_an_empty_served_model_name_naming_the_option()
    {
        string export = Path.Combine(_dir, "plain");
        Assert.Equal(0, CliRunner.Run("export", "--model", SharedModels.Stories260K, "--tokenizer", SharedModels.Tok512, "--out", export).ExitCode);

        var result = CliRunner.Run("serve", "--model", export, "--port", "0", "--served-model-name", " ");

        AssertOneClearError(result, "the served model name must not be empty", "--served-model-name");
    }

    [Fact]
    public void Tokenize_refuses_no_special_tokens_with_a_chat()
    {
        string messages = Path.Combine(_dir, "messages.json");
        File.WriteAllText(messages, """[{"role": "user", "content": "Hi"}]""");

        var result = CliRunner.Run("tokenize", "--tokenizer", HfTokenizerFiles.Folder("llama3"), "--chat", messages, "--no-special-tokens");

        AssertOneClearError(result, "--no-special-tokens applies only with --text");
    }

    [Theory]
    [InlineData("--temperature", "-1", "temperature must be a finite number >= 0, got -1")]
    [InlineData("--top-p", "0", "top_p must be in (0, 1], got 0")]
    [InlineData("--max-new-tokens", "0", "--max-new-tokens must be >= 1, got 0")]
    public void Chat_refuses_a_bad_sampling_value_before_it_opens_the_model(string option, string value, string expected)
    {
        // No model folder: the value is refused first, not once the model is loaded and the user has typed a question.
        var result = CliRunner.RunWithInput("hi\n", "chat", "--model", Path.Combine(_dir, "no-such-model"), option, value);

        AssertOneClearError(result, expected);
    }

    [Fact]
    public void Missing_shape_file_is_reported_as_file_not_found()
    {
        string missing = Path.Combine(_dir, "missing.json");
        var result = CliRunner.Run("init-random", "--shape", missing, "--out", Path.Combine(_dir, "r.bin"));

        AssertOneClearError(result, missing, "file not found");
    }
}
