using System.Text;
using Adapters.Core.Adapters;
using Adapters.Core.IO;
using Adapters.Core.Model;

/// <summary>
/// adapter_config.json as PEFT reads it: target_modules as a list (suffix match) or a string (a
/// regular expression full-matched against whole module names, as peft's check_target_module_exists
/// does); every field that changes the computation and is not implemented is refused naming it.
/// </summary>
public class PeftConfigFieldTests
{
    static readonly LlamaConfig Model = new() { Dim = 32, HiddenDim = 48, NumLayers = 3, NumHeads = 4, NumKvHeads = 2, VocabSize = 40, MaxSeqLen = 16 };

    static LoraConfig Parse(string fields) =>
        PeftAdapterConfig.Parse("adapter_config.json", Encoding.UTF8.GetBytes("{\"peft_type\": \"LORA\", \"r\": 2, \"lora_alpha\": 4, " + fields + "}"), Model);

    static string Refusal(string fields) => Assert.Throws<InvalidFileException>(() => Parse(fields)).Message;

    [Theory]
    [InlineData("\"target_modules\": [\"q_proj\", \"v_proj\"]", "q_proj,v_proj", "")]
    [InlineData("\"target_modules\": [\"self_attn.v_proj\", \"q_proj\"]", "q_proj,v_proj", "")]
    [InlineData("\"target_modules\": [\"q_proj\"], \"layers_to_transform\": [0, 2]", "q_proj", "0,2")]
    [InlineData("\"target_modules\": [\"q_proj\"], \"layers_to_transform\": 1", "q_proj", "1")]
    [InlineData("\"target_modules\": \".*\\\\.(q_proj|down_proj)\"", "q_proj,down_proj", "")]
    [InlineData("\"target_modules\": \"model\\\\.layers\\\\.[01]\\\\.self_attn\\\\.(q|k)_proj\"", "q_proj,k_proj", "0,1")]
    [InlineData("\"target_modules\": \"all-linear\"", "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj", "")]
    [InlineData("\"target_modules\": [\"model.layers.1.mlp.up_proj\"]", "up_proj", "1")]
    public void Target_modules_select_what_peft_selects(string fields, string targets, string layers)
    {
        var lora = Parse(fields);
        Assert.Equal(targets, string.Join(",", lora.TargetModules));
        Assert.Equal(layers, string.Join(",", lora.Layers));
    }

    [Theory]
    [InlineData("\"target_modules\": \"q_proj\"", "matches no module")]
    [InlineData("\"target_modules\": \"(\"", "not a regular expression")]
    [InlineData("\"target_modules\": \".*\"", "which is not one of the projections")]
    [InlineData("\"target_modules\": [\"lm_head\"]", "'lm_head'")]
    [InlineData("\"target_modules\": [\"mlp\"]", "which is not one of the projections")]
    [InlineData("\"target_modules\": [\"nothing_here\"]", "matches no projection")]
    [InlineData("\"target_modules\": []", "target_modules is empty")]
    [InlineData("\"target_modules\": 7", "target_modules must be")]
    [InlineData("\"lora_dropout\": 0", "target_modules is missing")]
    [InlineData("\"target_modules\": [\"q_proj\"], \"r\": 4", "twice")]
    [InlineData("\"target_modules\": [\"model.layers.0.self_attn.q_proj\", \"model.layers.1.self_attn.v_proj\"]", "different projections in different layers")]
    [InlineData("\"target_modules\": \".*q_proj\", \"layers_to_transform\": [0]", "layers_to_transform")]
    [InlineData("\"target_modules\": [\"q_proj\"], \"layers_pattern\": \"h\"", "layers_pattern")]
    public void Target_modules_that_cannot_be_served_are_refused_naming_the_field(string fields, string fragment)
    {
        Assert.Contains(fragment, Refusal(fields));
    }

    [Theory]
    [InlineData("rank_pattern", "{\"q_proj\": 8}")]
    [InlineData("alpha_pattern", "{\"q_proj\": 8}")]
    [InlineData("use_dora", "true")]
    [InlineData("use_rslora", "true")]
    [InlineData("fan_in_fan_out", "true")]
    [InlineData("bias", "\"lora_only\"")]
    [InlineData("lora_bias", "true")]
    [InlineData("modules_to_save", "[\"lm_head\"]")]
    [InlineData("exclude_modules", "\"k_proj\"")]
    [InlineData("layer_replication", "[[0, 2]]")]
    [InlineData("trainable_token_indices", "[1, 2]")]
    [InlineData("target_parameters", "[\"w\"]")]
    [InlineData("some_future_field", "\"on\"")]
    public void Field_that_changes_the_computation_is_refused_naming_it(string field, string value)
    {
        string message = Refusal($"\"target_modules\": [\"q_proj\"], \"{field}\": {value}");
        Assert.Contains(field, message);
        Assert.StartsWith("adapter_config.json: ", message);
    }

    [Theory]
    [InlineData("rank_pattern", "{}")]
    [InlineData("alpha_pattern", "{}")]
    [InlineData("use_dora", "false")]
    [InlineData("bias", "\"none\"")]
    [InlineData("modules_to_save", "null")]
    [InlineData("exclude_modules", "null")]
    [InlineData("init_lora_weights", "\"gaussian\"")]
    [InlineData("task_type", "\"CAUSAL_LM\"")]
    [InlineData("some_future_field", "null")]
    public void Field_at_its_neutral_value_or_without_effect_on_inference_is_accepted(string field, string value)
    {
        Assert.Equal(["q_proj"], Parse($"\"target_modules\": [\"q_proj\"], \"{field}\": {value}").TargetModules);
    }

    [Theory]
    [InlineData("null")]
    [InlineData("[]")]
    [InlineData("{\"r\": \"two\", \"lora_alpha\": 4, \"target_modules\": [\"q_proj\"]}")]
    [InlineData("{\"r\": 2")]
    public void Malformed_config_is_refused_without_quoting_it(string json)
    {
        var error = Assert.Throws<InvalidFileException>(() => PeftAdapterConfig.Parse("adapter_config.json", Encoding.UTF8.GetBytes(json), Model));
        Assert.DoesNotContain("two", error.Message);
        Assert.DoesNotContain("System.", error.Message);
    }

    [Theory]
    [InlineData("secret-lora", true)]
    [InlineData("A.b_c-9", true)]
    [InlineData("x", true)]
    [InlineData("", false)]
    [InlineData(".x", false)]
    [InlineData("-x", false)]
    [InlineData("a/b", false)]
    [InlineData("a b", false)]
    [InlineData("a\u202Eb", false)]
    [InlineData("\u00e9", false)]
    [InlineData("<s>", false)]
    public void Adapter_names_are_the_documented_set(string name, bool valid)
    {
        Assert.Equal(valid, AdapterNames.IsValid(name));
    }

    [Fact]
    public void Adapter_names_are_at_most_64_characters()
    {
        Assert.True(AdapterNames.IsValid(new string('a', 64)));
        Assert.False(AdapterNames.IsValid(new string('a', 65)));
    }
}
