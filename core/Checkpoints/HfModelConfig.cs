using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Core.IO;
using Adapters.Core.Model;

namespace Adapters.Core.Checkpoints;

/// <summary>
/// Reads a Hugging Face config.json into the one <see cref="LlamaConfig"/>. Every field is either
/// read, known not to change the computation, or refused naming it: nothing is dropped silently.
/// Mistral's sliding_window caps the context served (with every query at most sliding_window − 1
/// positions after its oldest key, the window never hides a key, so full attention is exact).
/// </summary>
public static class HfModelConfig
{
    /// <summary>Architectures and model types of HF families whose math is not implemented yet.</summary>
    static readonly Dictionary<string, string> KnownUnsupported = new(StringComparer.Ordinal)
    {
        ["qwen2"] = "Qwen2ForCausalLM", ["qwen3"] = "Qwen3ForCausalLM",
    };

    /// <summary>Fields that do not change the forward pass (metadata, ids, init, loading options).</summary>
    static readonly HashSet<string> Harmless = new(StringComparer.Ordinal)
    {
        "architectures", "model_type", "_name_or_path", "transformers_version", "torch_dtype", "dtype",
        "bos_token_id", "eos_token_id", "pad_token_id", "use_cache", "initializer_range", "pretraining_tp",
        "tokenizer_class", "is_llama_config", "output_attentions", "output_hidden_states", "return_dict", "torchscript",
        HfCheckpoint.FactorizedKey,
    };

    static readonly HashSet<string> Read = new(StringComparer.Ordinal)
    {
        "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads",
        "vocab_size", "max_position_embeddings", "rms_norm_eps", "rope_theta", "tie_word_embeddings", "hidden_act",
        "attention_bias", "mlp_bias", "attention_dropout", "head_dim", "rope_scaling", "sliding_window",
        "use_sliding_window", "max_window_layers", "rope_interleaved", "use_mrope",
    };

    public static LlamaConfig ReadFile(string path)
    {
        if (!File.Exists(path)) throw new InvalidFileException(path, "file not found (a Hugging Face model folder needs config.json)");
        JsonObject json;
        try { json = JsonNode.Parse(File.ReadAllText(path))!.AsObject(); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
        { throw new InvalidFileException(path, "not a JSON object: " + e.Message); }
        try { return Parse(json, path); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        { throw new InvalidFileException(path, "a field has the wrong type: " + e.Message); }
    }

    /// <summary>True when a JSON object looks like an HF config.json rather than our own LlamaConfig JSON.</summary>
    public static bool LooksLikeHfConfig(JsonObject json) => json.ContainsKey("hidden_size") || json.ContainsKey("model_type");

    public static LlamaConfig Parse(JsonObject json, string path)
    {
        InvalidFileException Bad(string problem) => new(path, problem);
        if (json.ContainsKey("vision_config") || json.ContainsKey("text_config"))
            throw Bad($"{(json.ContainsKey("vision_config") ? "vision_config" : "text_config")} is present: multimodal models are not supported");
        foreach (string moe in new[] { "num_experts", "num_local_experts", "n_routed_experts" })
            if (json[moe] is JsonNode n && n.GetValue<double>() > 0)
                throw Bad($"{moe} is {n.ToJsonString()}: mixture-of-experts models are not supported");

        string family = Family(json, Bad);

        foreach (var (key, _) in json)
            if (!Harmless.Contains(key) && !Read.Contains(key))
                throw Bad($"field '{key}' is not supported (it may change the model's computation)");

        int Int(string key, int? fallback = null) =>
            json[key] is JsonNode n ? n.GetValue<int>() : fallback ?? throw Bad($"missing '{key}'");
        bool Flag(string key) => json[key]?.GetValue<bool>() ?? false;

        string act = json["hidden_act"]?.GetValue<string>() ?? "silu";
        if (act != "silu") throw Bad($"hidden_act is '{act}', only 'silu' (SwiGLU) is supported");
        if (Flag("mlp_bias")) throw Bad("mlp_bias is true: biases on the feed-forward projections are not supported");
        if (Flag("attention_bias")) throw Bad("attention_bias is true: q/k/v projection biases are not implemented yet");
        if (Flag("use_mrope")) throw Bad("use_mrope is true: multimodal rotary embeddings are not supported");
        if (Flag("rope_interleaved")) throw Bad("rope_interleaved is true: only Hugging Face's rotate-half layout is read");
        if (Flag("use_sliding_window")) throw Bad("use_sliding_window is true: sliding-window attention is not implemented");
        if (json["attention_dropout"] is JsonNode drop && drop.GetValue<double>() != 0)
            throw Bad($"attention_dropout is {drop.ToJsonString()}: attention dropout is not implemented");
        if (json["rope_scaling"] is JsonObject scaling)
        {
            string type = (scaling["rope_type"] ?? scaling["type"])?.GetValue<string>() ?? "(none)";
            throw Bad(type == "default" ? "rope_scaling of type 'default' carries scaling fields that are not read"
                : $"rope_scaling type '{type}' is not supported yet");
        }
        else if (json["rope_scaling"] is JsonNode other && other.GetValueKind() != JsonValueKind.Null)
            throw Bad("rope_scaling must be an object or null");

        int heads = Int("num_attention_heads"), hidden = Int("hidden_size");
        if (json["head_dim"] is JsonNode hd && hd.GetValueKind() != JsonValueKind.Null && heads > 0 && hd.GetValue<int>() != hidden / heads)
            throw Bad($"head_dim is {hd.GetValue<int>()}, not hidden_size / num_attention_heads = {hidden / heads}: an explicit head size is not implemented yet");

        int context = Int("max_position_embeddings");
        if (json["sliding_window"] is JsonNode window && window.GetValueKind() != JsonValueKind.Null)
        {
            // Qwen-style configs name a window that only applies with use_sliding_window (refused above).
            if (family == ModelFamilies.Mistral)
            {
                int w = window.GetValue<int>();
                if (w <= 0) throw Bad($"sliding_window must be positive, got {w}");
                context = Math.Min(context, w);
            }
        }
        try
        {
            return new LlamaConfig
            {
                Family = family,
                Dim = hidden,
                HiddenDim = Int("intermediate_size"),
                NumLayers = Int("num_hidden_layers"),
                NumHeads = heads,
                NumKvHeads = Int("num_key_value_heads", heads),
                VocabSize = Int("vocab_size"),
                MaxSeqLen = context,
                NormEps = json["rms_norm_eps"]?.GetValue<float>() ?? LlamaConfig.DefaultNormEps,
                RopeTheta = json["rope_theta"]?.GetValue<float>() ?? LlamaConfig.DefaultRopeTheta,
                SharedClassifier = json["tie_word_embeddings"]?.GetValue<bool>() ?? false,
            }.Validate();
        }
        catch (ArgumentException e) { throw Bad(e.Message); }
    }

    /// <summary>model_type and architectures, each implying the other and required to agree.</summary>
    static string Family(JsonObject json, Func<string, InvalidFileException> bad)
    {
        string? modelType = json["model_type"]?.GetValue<string>();
        string? architecture = null;
        if (json["architectures"] is JsonArray archs)
        {
            if (archs.Count != 1) throw bad($"architectures must name exactly one class, got {archs.ToJsonString()}");
            architecture = archs[0]!.GetValue<string>();
        }
        string? fromArchitecture = architecture is null ? null
            : ModelFamilies.Supported.FirstOrDefault(f => ModelFamilies.Architecture(f) == architecture)
              ?? KnownUnsupported.FirstOrDefault(kv => kv.Value == architecture).Key;
        if (architecture is not null && fromArchitecture is null)
            throw bad($"architectures is '{architecture}', which is not supported (supported: {string.Join(", ", ModelFamilies.Supported.Select(ModelFamilies.Architecture))})");
        string family = modelType ?? fromArchitecture ?? ModelFamilies.Llama;
        if (fromArchitecture is not null && fromArchitecture != family)
            throw bad($"architectures is '{architecture}' but model_type is '{modelType}': they must name the same family");
        if (KnownUnsupported.ContainsKey(family))
            throw bad($"model_type is '{family}', which is not implemented yet (supported: {string.Join(", ", ModelFamilies.Supported)})");
        if (!ModelFamilies.Supported.Contains(family))
            throw bad($"model_type is '{family}', which is not supported (supported: {string.Join(", ", ModelFamilies.Supported)})");
        return family;
    }
}
