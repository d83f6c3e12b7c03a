using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Core.IO;
using Adapters.Core.Model;

namespace Adapters.Core.Checkpoints;

/// <summary>
/// Reads a Hugging Face config.json of LlamaForCausalLM, MistralForCausalLM, Qwen2ForCausalLM or
/// Qwen3ForCausalLM into the one <see cref="LlamaConfig"/>. Every field is either read, known not
/// to change the computation, or refused naming it: nothing is dropped silently. The features
/// follow Hugging Face's modeling code per family:
/// <list type="bullet">
/// <item>biases: Llama and Qwen3 give q/k/v and o_proj a bias when attention_bias is true; Qwen2
/// always biases q/k/v and never o_proj (it has no attention_bias); Mistral never has biases;</item>
/// <item>q_norm/k_norm (RMSNorm over head_dim, eps rms_norm_eps): Qwen3 always;</item>
/// <item>head_dim: any family may name it (default hidden_size / num_attention_heads);</item>
/// <item>rope_scaling (or transformers 5's rope_parameters): llama3 and linear; default/null is none;</item>
/// <item>sliding window: Mistral's sliding_window caps the context served (max_seq_len =
/// min(max_position_embeddings, sliding_window): a query then never sits sliding_window or more
/// positions after a key, so full attention is exact). Qwen2/Qwen3 apply a window only with
/// use_sliding_window on layers from max_window_layers on; such an active window is refused.</item>
/// </list>
/// </summary>
public static class HfModelConfig
{
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
        "attention_bias", "mlp_bias", "attention_dropout", "head_dim", "rope_scaling", "rope_parameters", "sliding_window",
        "use_sliding_window", "max_window_layers", "layer_types", "rope_interleaved", "use_mrope",
    };

    /// <summary>Keys a rope_scaling object may carry per type, besides the type itself.</summary>
    static readonly Dictionary<string, string[]> RopeKeys = new(StringComparer.Ordinal)
    {
        ["default"] = [],
        [RopeScaling.Linear] = ["factor"],
        [RopeScaling.Llama3] = ["factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"],
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
            if (json[moe] is JsonNode n && n.GetValueKind() != JsonValueKind.Null && n.GetValue<double>() > 0)
                throw Bad($"{moe} is {n.ToJsonString()}: mixture-of-experts models are not supported");

        string family = Family(json, Bad);

        foreach (var (key, _) in json)
            if (!Harmless.Contains(key) && !Read.Contains(key))
                throw Bad($"field '{key}' is not supported (it may change the model's computation)");

        bool Present(string key) => json[key] is JsonNode n && n.GetValueKind() != JsonValueKind.Null;
        int Int(string key, int? fallback = null) =>
            Present(key) ? json[key]!.GetValue<int>() : fallback ?? throw Bad($"missing '{key}'");
        bool Flag(string key) => Present(key) && json[key]!.GetValue<bool>();

        string act = json["hidden_act"]?.GetValue<string>() ?? "silu";
        if (act != "silu") throw Bad($"hidden_act is '{act}', only 'silu' (SwiGLU) is supported");
        if (Flag("mlp_bias")) throw Bad("mlp_bias is true: biases on the feed-forward projections are not supported");
        if (Flag("use_mrope")) throw Bad("use_mrope is true: multimodal rotary embeddings are not supported");
        if (Flag("rope_interleaved")) throw Bad("rope_interleaved is true: only Hugging Face's rotate-half layout is read");
        if (Present("attention_dropout") && json["attention_dropout"]!.GetValue<double>() != 0)
            throw Bad($"attention_dropout is {json["attention_dropout"]!.ToJsonString()}: attention dropout is not implemented");

        int heads = Int("num_attention_heads"), hidden = Int("hidden_size"), layers = Int("num_hidden_layers");
        int? headDim = null;
        if (Present("head_dim"))
        {
            int explicitHead = json["head_dim"]!.GetValue<int>();
            // Stored only when it differs, so a config with the implied value reads back equal to one without it.
            if (heads <= 0 || explicitHead != hidden / heads || hidden % heads != 0) headDim = explicitHead;
        }

        var (qkvBias, outputBias) = Biases(family, Flag("attention_bias"), Bad);
        var (ropeTheta, ropeScaling) = Rope(json, Bad);
        int context = Context(json, family, Int("max_position_embeddings"), layers, Bad);
        try
        {
            return new LlamaConfig
            {
                Family = family,
                Dim = hidden,
                HiddenDim = Int("intermediate_size"),
                NumLayers = layers,
                NumHeads = heads,
                NumKvHeads = Int("num_key_value_heads", heads),
                VocabSize = Int("vocab_size"),
                MaxSeqLen = context,
                NormEps = Present("rms_norm_eps") ? json["rms_norm_eps"]!.GetValue<float>() : LlamaConfig.DefaultNormEps,
                RopeTheta = ropeTheta,
                SharedClassifier = Flag("tie_word_embeddings"),
                HeadDim = headDim,
                QkvBias = qkvBias,
                OutputBias = outputBias,
                QkNorm = family == ModelFamilies.Qwen3,
                RopeScaling = ropeScaling,
            }.Validate();
        }
        catch (ArgumentException e) { throw Bad(e.Message); }
    }

    /// <summary>(q/k/v bias, o_proj bias) as each family's HF attention module builds its Linear layers.</summary>
    static (bool Qkv, bool Output) Biases(string family, bool attentionBias, Func<string, InvalidFileException> bad) => family switch
    {
        ModelFamilies.Qwen2 => (true, false),
        ModelFamilies.Mistral when attentionBias => throw bad("attention_bias is true, but MistralForCausalLM has no attention biases (Hugging Face ignores the field, so the .bias tensors would be dropped)"),
        ModelFamilies.Mistral => (false, false),
        _ => (attentionBias, attentionBias),
    };

    /// <summary>rope_theta and the scaling, from rope_scaling + rope_theta or transformers 5's rope_parameters.</summary>
    static (float Theta, RopeScaling? Scaling) Rope(JsonObject json, Func<string, InvalidFileException> bad)
    {
        float theta = json["rope_theta"] is JsonNode t && t.GetValueKind() != JsonValueKind.Null ? t.GetValue<float>() : LlamaConfig.DefaultRopeTheta;
        JsonNode? scalingNode = json["rope_scaling"];
        string field = "rope_scaling";
        if (json["rope_parameters"] is JsonNode parameters && parameters.GetValueKind() != JsonValueKind.Null)
        {
            if (scalingNode is not null && scalingNode.GetValueKind() != JsonValueKind.Null)
                throw bad("both rope_scaling and rope_parameters are given: give one");
            if (parameters is not JsonObject po) throw bad("rope_parameters must be an object");
            var copy = po.DeepClone().AsObject();
            if (copy["rope_theta"] is JsonNode pt)
            {
                float fromParameters = pt.GetValue<float>();
                if (json.ContainsKey("rope_theta") && fromParameters != theta)
                    throw bad($"rope_theta {theta} and rope_parameters.rope_theta {fromParameters} differ");
                theta = fromParameters;
                copy.Remove("rope_theta");
            }
            scalingNode = copy;
            field = "rope_parameters";
        }
        if (scalingNode is null || scalingNode.GetValueKind() == JsonValueKind.Null) return (theta, null);
        if (scalingNode is not JsonObject scaling) throw bad($"{field} must be an object or null");

        // HF reads "rope_type", or the legacy "type" when rope_type is absent.
        string type = (scaling["rope_type"] ?? scaling["type"])?.GetValue<string>()
            ?? throw bad($"{field} names no rope_type");
        if (!RopeKeys.TryGetValue(type, out var allowed))
            throw bad($"{field} type '{type}' is not supported (supported: {string.Join(", ", RopeScaling.Supported)}, or default)");
        foreach (var (key, _) in scaling)
            if (key is not ("rope_type" or "type") && !allowed.Contains(key))
                throw bad($"{field} of type '{type}' has field '{key}', which is not read (it may change the rotary frequencies)");
        foreach (string key in allowed)
            if (scaling[key] is null) throw bad($"{field} of type '{type}' needs '{key}'");
        if (type == "default") return (theta, null);
        try
        {
            return (theta, new RopeScaling
            {
                Type = type,
                Factor = scaling["factor"]!.GetValue<double>(),
                LowFreqFactor = scaling["low_freq_factor"]?.GetValue<double>(),
                HighFreqFactor = scaling["high_freq_factor"]?.GetValue<double>(),
                OriginalMaxPositionEmbeddings = scaling["original_max_position_embeddings"]?.GetValue<int>(),
            }.Validate());
        }
        catch (ArgumentException e) { throw bad($"{field}: {e.Message}"); }
    }

    /// <summary>
    /// The context served: max_position_embeddings, capped by Mistral's window; refuses a
    /// Qwen-style window that some layer would apply.
    /// </summary>
    static int Context(JsonObject json, string family, int context, int layers, Func<string, InvalidFileException> bad)
    {
        JsonNode? window = json["sliding_window"] is JsonNode w && w.GetValueKind() != JsonValueKind.Null ? w : null;
        if (json["layer_types"] is JsonArray types)
        {
            var sliding = types.Select((t, i) => (Type: t?.GetValue<string>(), Layer: i)).FirstOrDefault(x => x.Type != "full_attention");
            if (sliding.Type is not null)
                throw bad($"layer_types[{sliding.Layer}] is '{sliding.Type}': only full attention is implemented (sliding-window attention is not)");
        }
        bool useWindow = json["use_sliding_window"] is JsonNode u && u.GetValueKind() != JsonValueKind.Null && u.GetValue<bool>();
        if (family == ModelFamilies.Mistral)
        {
            if (window is null) return context;
            int size = window.GetValue<int>();
            if (size <= 0) throw bad($"sliding_window must be positive, got {size}");
            return Math.Min(context, size);
        }
        if (!useWindow) return context; // Llama and Qwen name a window that only applies with use_sliding_window
        if (family == ModelFamilies.Llama)
            throw bad("use_sliding_window is true: LlamaForCausalLM has no sliding window");
        // Qwen2/Qwen3: layers from max_window_layers on attend within the window (HF's layer_types rule).
        int firstSliding = json["max_window_layers"] is JsonNode m && m.GetValueKind() != JsonValueKind.Null ? m.GetValue<int>() : layers;
        // A window at least as long as the context never hides a key: full attention is exact.
        if (window is not null && firstSliding < layers && window.GetValue<int>() < context)
            throw bad($"use_sliding_window is true with sliding_window {window.ToJsonString()} on layers {firstSliding}..{layers - 1} (max_window_layers {firstSliding}): sliding-window attention is not implemented (the window is smaller than the context {context})");
        return context;
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
        string supported = string.Join(", ", ModelFamilies.Supported.Select(ModelFamilies.Architecture));
        string? fromArchitecture = architecture is null ? null
            : ModelFamilies.Supported.FirstOrDefault(f => ModelFamilies.Architecture(f) == architecture);
        if (architecture is not null && fromArchitecture is null)
            throw bad($"architectures is '{architecture}', which is not supported (supported: {supported})");
        string family = modelType ?? fromArchitecture ?? ModelFamilies.Llama;
        if (!ModelFamilies.Supported.Contains(family))
            throw bad($"model_type is '{family}', which is not supported (supported: {string.Join(", ", ModelFamilies.Supported)})");
        if (fromArchitecture is not null && fromArchitecture != family)
            throw bad($"architectures is '{architecture}' but model_type is '{modelType}': they must name the same family");
        return family;
    }
}
