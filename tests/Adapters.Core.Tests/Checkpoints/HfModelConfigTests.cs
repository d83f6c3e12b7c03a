using System.Text.Json.Nodes;
using Adapters.Core.Checkpoints;
using Adapters.Core.IO;
using Adapters.Core.Model;
using Adapters.TestSupport;

namespace Adapters.Core.Tests.Checkpoints;

/// <summary>HF config.json of the families: the published configurations read or are refused naming the field; unused tensors are refused.</summary>
public sealed class HfModelConfigTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static string Published(string name) => Path.Combine(SharedModels.RepoRoot, "models", "configs", name + ".json");

    [Fact]
    public void TinyLlama_reads_its_published_shape()
    {
        var c = HfModelConfig.ReadFile(Published("tinyllama-1.1b"));
        Assert.Equal((ModelFamilies.Llama, 2048, 5632, 22, 32, 4, 32000, 2048, false), (c.Family, c.Dim, c.HiddenDim, c.NumLayers, c.NumHeads, c.NumKvHeads, c.VocabSize, c.MaxSeqLen, c.SharedClassifier));
    }

    [Fact]
    public void SmolLM2_reads_with_tied_embeddings_and_its_rope_base()
    {
        var c = HfModelConfig.ReadFile(Published("smollm2-135m"));
        Assert.Equal((576, 9, 3, 30, 49152, true, 100000f), (c.Dim, c.NumHeads, c.NumKvHeads, c.NumLayers, c.VocabSize, c.SharedClassifier, c.RopeTheta));
    }

    [Fact]
    public void Mistral_serves_the_context_its_sliding_window_covers()
    {
        var c = HfModelConfig.ReadFile(Published("mistral-7b-v0.1"));
        Assert.Equal(ModelFamilies.Mistral, c.Family);
        Assert.Equal(4096, c.MaxSeqLen); // max_position_embeddings 32768, sliding_window 4096
    }

    [Fact]
    public void Qwen2_5_reads_with_qkv_biases_and_no_output_bias()
    {
        var c = HfModelConfig.ReadFile(Published("qwen2.5-0.5b"));
        Assert.Equal((ModelFamilies.Qwen2, 896, 14, 2, 64, 896, true, false, false, true, 1e6f, 32768),
            (c.Family, c.Dim, c.NumHeads, c.NumKvHeads, c.HeadSize, c.QDim, c.QkvBias, c.OutputBias, c.QkNorm, c.SharedClassifier, c.RopeTheta, c.MaxSeqLen));
        Assert.Null(c.RopeScaling);
    }

    [Fact]
    public void Qwen3_reads_its_explicit_head_dim_and_qk_norm()
    {
        var c = HfModelConfig.ReadFile(Published("qwen3-0.6b"));
        Assert.Equal((ModelFamilies.Qwen3, 1024, 16, 8, 128, 2048, 1024, true, false, false, 1e-6f),
            (c.Family, c.Dim, c.NumHeads, c.NumKvHeads, c.HeadSize, c.QDim, c.KvDim, c.QkNorm, c.QkvBias, c.OutputBias, c.NormEps));
        Assert.Equal((2048, 1024), LlamaTensorNames.ProjectionShape(c, "q_proj"));
        Assert.Equal((1024, 2048), LlamaTensorNames.ProjectionShape(c, "o_proj"));
    }

    [Fact]
    public void The_one_line_summary_names_what_dim_and_heads_do_not_imply()
    {
        // Qwen3-0.6B's 16 heads of 1024 read like head_dim 64; the summary says 128 and the q/k norm.
        Assert.Equal("dim 1024, hidden 3072, 28 layers, 16 heads, head_dim 128, 8 kv heads, vocab 151936, context 40960, q/k norm",
            ModelShapes.Describe(HfModelConfig.ReadFile(Published("qwen3-0.6b"))));
        Assert.EndsWith("context 131072, rope scaling llama3 x32", ModelShapes.Describe(HfModelConfig.ReadFile(Published("llama-3.2-1b"))));
        Assert.EndsWith("q/k/v biases", ModelShapes.Describe(HfModelConfig.ReadFile(Published("qwen2.5-0.5b"))));
        Assert.DoesNotContain("head_dim", ModelShapes.Describe(ModelShapes.Get("15M")));
    }

    [Fact]
    public void Llama_3_2_reads_its_llama3_rope_scaling()
    {
        var c = HfModelConfig.ReadFile(Published("llama-3.2-1b"));
        Assert.Equal(new RopeScaling { Type = "llama3", Factor = 32, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 8192 }, c.RopeScaling);
        Assert.Equal((500000f, 131072, 64, true, false), (c.RopeTheta, c.MaxSeqLen, c.HeadSize, c.SharedClassifier, c.QkvBias));
        Assert.Null(c.HeadDim); // head_dim 64 = 2048 / 32 is the implied one
    }

    [Theory]
    [InlineData("llama", true, true)]
    [InlineData("qwen3", true, true)]
    [InlineData("qwen2", true, false)] // Qwen2Attention: q/k/v always biased, o_proj never, attention_bias not read
    public void Attention_bias_gives_the_biases_the_family_builds(string family, bool qkv, bool output)
    {
        var json = Config(family);
        json["attention_bias"] = true;
        var c = HfModelConfig.Parse(json, "config.json");
        Assert.Equal((qkv, output), (c.QkvBias, c.OutputBias));
    }

    [Fact]
    public void Linear_rope_scaling_and_transformers_5_rope_parameters_are_read()
    {
        var json = Config("llama");
        json["rope_scaling"] = JsonNode.Parse("{\"type\": \"linear\", \"factor\": 4.0}");
        Assert.Equal(new RopeScaling { Type = "linear", Factor = 4 }, HfModelConfig.Parse(json, "config.json").RopeScaling);

        json.Remove("rope_scaling");
        json.Remove("rope_theta");
        json["rope_parameters"] = JsonNode.Parse("{\"rope_type\": \"linear\", \"factor\": 2.0, \"rope_theta\": 50000.0}");
        var c = HfModelConfig.Parse(json, "config.json");
        Assert.Equal((2.0, 50000f), (c.RopeScaling!.Factor, c.RopeTheta));

        json["rope_parameters"] = JsonNode.Parse("{\"rope_type\": \"default\", \"rope_theta\": 1000000.0}");
        c = HfModelConfig.Parse(json, "config.json");
        Assert.Equal((null, 1e6f), (c.RopeScaling, c.RopeTheta));
    }

    [Fact]
    public void A_qwen_window_that_no_layer_applies_is_accepted()
    {
        var json = Config("qwen2");
        json["use_sliding_window"] = true;
        json["sliding_window"] = 16;
        json["max_window_layers"] = 2; // = num_hidden_layers: every layer attends fully
        Assert.Equal(128, HfModelConfig.Parse(json, "config.json").MaxSeqLen);
        json["max_window_layers"] = 1;
        json["sliding_window"] = 128; // as long as the context: never hides a key
        Assert.Equal(128, HfModelConfig.Parse(json, "config.json").MaxSeqLen);
    }

    /// <summary>A tiny HF config of a family (2 layers, dim 64, 4 heads, 2 kv heads, context 128).</summary>
    static JsonObject Config(string family) => HfCheckpoint.ConfigJson(new LlamaConfig
    {
        Family = family, Dim = 64, HiddenDim = 96, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, VocabSize = 50, MaxSeqLen = 128,
        QkvBias = family == ModelFamilies.Qwen2, QkNorm = family == ModelFamilies.Qwen3,
    });

    public static TheoryData<string, string, string, string> BadFamilyFields => new()
    {
        { "mistral", "attention_bias", "true", "MistralForCausalLM has no attention biases" },
        { "qwen2", "use_sliding_window", "true", "use_sliding_window is true with sliding_window 16 on layers 1..1" },
        { "qwen3", "layer_types", "[\"full_attention\", \"sliding_attention\"]", "layer_types[1] is 'sliding_attention'" },
        { "llama", "rope_scaling", "{\"rope_type\": \"dynamic\", \"factor\": 2.0}", "rope_scaling type 'dynamic' is not supported" },
        { "llama", "rope_scaling", "{\"rope_type\": \"longrope\", \"factor\": 2.0}", "rope_scaling type 'longrope'" },
        { "qwen2", "rope_scaling", "{\"type\": \"yarn\", \"factor\": 4.0, \"original_max_position_embeddings\": 32768}", "rope_scaling type 'yarn'" },
        { "llama", "rope_scaling", "{\"rope_type\": \"llama3\", \"factor\": 8.0, \"low_freq_factor\": 1.0, \"high_freq_factor\": 4.0}", "needs 'original_max_position_embeddings'" },
        { "llama", "rope_scaling", "{\"rope_type\": \"linear\", \"factor\": 2.0, \"attention_factor\": 0.5}", "has field 'attention_factor'" },
        { "qwen2", "rope_scaling", "{\"type\": \"default\", \"mrope_section\": [16, 24, 24]}", "has field 'mrope_section'" },
        { "llama", "rope_scaling", "{\"factor\": 2.0}", "names no rope_type" },
        { "qwen3", "num_experts", "8", "num_experts is 8: mixture-of-experts" },
        { "llama", "use_sliding_window", "true", "LlamaForCausalLM has no sliding window" },
    };

    [Theory]
    [MemberData(nameof(BadFamilyFields))]
    public void A_family_field_that_changes_the_math_is_refused_naming_it(string family, string field, string value, string fragment)
    {
        var json = Config(family);
        json[field] = JsonNode.Parse(value);
        if (field == "use_sliding_window") { json["sliding_window"] = 16; json["max_window_layers"] = 1; }
        string path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<InvalidFileException>(() => HfModelConfig.ReadFile(path));
        Assert.Equal(path, e.Path);
        Assert.Contains(fragment, e.Message);
    }

    [Theory]
    [InlineData("llama-3.2-1b")]
    [InlineData("qwen2.5-0.5b")]
    [InlineData("qwen3-0.6b")]
    [InlineData("mistral-7b-v0.1")]
    [InlineData("smollm2-135m")]
    [InlineData("tinyllama-1.1b")]
    public void A_written_config_reads_back_as_the_published_one(string name)
    {
        var published = HfModelConfig.ReadFile(Published(name));
        Assert.Equal(published, HfModelConfig.Parse(HfCheckpoint.ConfigJson(published), "written"));
    }

    public static TheoryData<string, string, string> BadFields => new()
    {
        { "architectures", "[\"GPT2LMHeadModel\"]", "architectures is 'GPT2LMHeadModel'" },
        { "model_type", "\"mistral\"", "must name the same family" },
        { "rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": 4.0}", "rope_scaling type 'yarn'" },
        { "architectures", "[\"Qwen2MoeForCausalLM\"]", "architectures is 'Qwen2MoeForCausalLM', which is not supported" },
        { "model_type", "\"qwen3_moe\"", "model_type is 'qwen3_moe'" },
        { "model_type", "\"gemma\"", "model_type is 'gemma', which is not supported" },
        { "use_sliding_window", "true", "use_sliding_window is true" },
        { "num_experts", "8", "num_experts is 8: mixture-of-experts" },
        { "num_local_experts", "8", "num_local_experts is 8" },
        { "mlp_bias", "true", "mlp_bias is true" },
        { "vision_config", "{}", "multimodal" },
        { "quantization_config", "{}", "field 'quantization_config' is not supported" },
        { "hidden_act", "\"gelu\"", "hidden_act is 'gelu'" },
    };

    [Theory]
    [MemberData(nameof(BadFields))]
    public void A_field_that_changes_the_math_is_refused_naming_it(string field, string value, string fragment)
    {
        var json = JsonNode.Parse(File.ReadAllText(Published("tinyllama-1.1b")))!.AsObject();
        json[field] = JsonNode.Parse(value);
        string path = Path.Combine(_dir, "config.json");
        File.WriteAllText(path, json.ToJsonString());
        var e = Assert.Throws<InvalidFileException>(() => HfModelConfig.ReadFile(path));
        Assert.Equal(path, e.Path);
        Assert.Contains(fragment, e.Message);
    }

    [Fact]
    public void A_tensor_the_model_does_not_use_is_refused_naming_it()
    {
        var weights = RandomCheckpoint.Create(ModelShapes.Get("260K"), seed: 3);
        string folder = Path.Combine(_dir, "hf");
        HfCheckpoint.Write(weights, folder);
        string file = Path.Combine(folder, HfCheckpoint.WeightsFile);
        var st = SafeTensorsFile.Open(file);
        var entries = st.Entries.Select(e => SafeTensorsFile.Float(st.ReadFloat(e.Name))).ToList();
        entries.Add(new SafeTensorsFile.WriteEntry("model.layers.0.self_attn.q_proj.bias", [64], Floats: new float[64]));
        SafeTensorsFile.Write(file, entries);

        var e = Assert.Throws<InvalidFileException>(() => HfCheckpoint.Read(folder));
        Assert.Contains("model.layers.0.self_attn.q_proj.bias", e.Message);
        Assert.Contains("does not use", e.Message);
    }

    [Fact]
    public void A_qwen2_checkpoint_relabelled_llama_fails_naming_its_biases()
    {
        var config = CheckpointAssert.SmallConfig() with { Family = ModelFamilies.Qwen2, QkvBias = true };
        string folder = Path.Combine(_dir, "qwen2");
        HfCheckpoint.Write(RandomCheckpoint.Create(config, seed: 5), folder);
        string configPath = Path.Combine(folder, HfCheckpoint.ConfigFile);
        var json = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        json["model_type"] = "llama";
        json["architectures"] = new JsonArray("LlamaForCausalLM");
        File.WriteAllText(configPath, json.ToJsonString());

        var e = Assert.Throws<InvalidFileException>(() => HfCheckpoint.Read(folder));
        Assert.Equal(Path.Combine(folder, HfCheckpoint.WeightsFile), e.Path);
        Assert.Contains("6 tensor(s) this model does not use: model.layers.0.self_attn.k_proj.bias", e.Message);
    }

    [Fact]
    public void A_qwen3_checkpoint_relabelled_qwen2_fails_naming_its_q_and_k_norms()
    {
        var config = CheckpointAssert.SmallConfig() with { Family = ModelFamilies.Qwen3, QkNorm = true, QkvBias = true, OutputBias = true };
        string folder = Path.Combine(_dir, "qwen3");
        HfCheckpoint.Write(RandomCheckpoint.Create(config, seed: 5), folder);
        string configPath = Path.Combine(folder, HfCheckpoint.ConfigFile);
        var json = JsonNode.Parse(File.ReadAllText(configPath))!.AsObject();
        json["model_type"] = "qwen2";
        json["architectures"] = new JsonArray("Qwen2ForCausalLM");
        File.WriteAllText(configPath, json.ToJsonString());

        var e = Assert.Throws<InvalidFileException>(() => HfCheckpoint.Read(folder));
        Assert.Contains("model.layers.0.self_attn.k_norm.weight", e.Message);
        Assert.Contains("does not use", e.Message);
    }

    [Fact]
    public void A_mistral_checkpoint_round_trips_with_its_architecture()
    {
        var config = ModelShapes.Get("260K") with { Family = ModelFamilies.Mistral };
        string folder = Path.Combine(_dir, "mistral");
        HfCheckpoint.Write(RandomCheckpoint.Create(config, seed: 4), folder);
        var json = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, HfCheckpoint.ConfigFile)))!;
        Assert.Equal("MistralForCausalLM", json["architectures"]![0]!.GetValue<string>());
        Assert.Equal(config, HfCheckpoint.ReadConfig(folder));
    }
}
