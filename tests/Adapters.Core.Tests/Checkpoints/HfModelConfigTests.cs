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

    [Theory]
    [InlineData("qwen2.5-0.5b", "qwen2")]
    [InlineData("qwen3-0.6b", "qwen3")]
    [InlineData("llama-3.2-1b", "rope_scaling type 'llama3'")]
    public void Families_whose_math_is_not_implemented_are_refused_naming_it(string name, string fragment)
    {
        var e = Assert.Throws<InvalidFileException>(() => HfModelConfig.ReadFile(Published(name)));
        Assert.Contains(fragment, e.Message);
        Assert.Contains(name + ".json", e.Message);
    }

    public static TheoryData<string, string, string> BadFields => new()
    {
        { "architectures", "[\"GPT2LMHeadModel\"]", "architectures is 'GPT2LMHeadModel'" },
        { "model_type", "\"mistral\"", "must name the same family" },
        { "rope_scaling", "{\"rope_type\": \"yarn\", \"factor\": 4.0}", "rope_scaling type 'yarn'" },
        { "use_sliding_window", "true", "use_sliding_window is true" },
        { "num_experts", "8", "num_experts is 8: mixture-of-experts" },
        { "num_local_experts", "8", "num_local_experts is 8" },
        { "mlp_bias", "true", "mlp_bias is true" },
        { "attention_bias", "true", "attention_bias is true" },
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
