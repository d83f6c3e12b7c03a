using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Core.IO;
using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

/// <summary>
/// adapter_config.json of a Hugging Face PEFT LoRA folder, read into a <see cref="LoraConfig"/>.
/// Nothing is silently ignored: every field PEFT's LoraConfig has is either implemented (r,
/// lora_alpha, lora_dropout, target_modules, layers_to_transform), harmless here (training-time
/// initialisation and bookkeeping), or refused naming it unless it holds PEFT's neutral value
/// (rank_pattern, alpha_pattern, use_dora, use_rslora, bias other than "none", …); an unknown field
/// that is set (not null, false, empty) is refused too.
/// </summary>
public static class PeftAdapterConfig
{
    /// <summary>Fields read into the config.</summary>
    static readonly HashSet<string> Implemented = ["peft_type", "r", "lora_alpha", "lora_dropout", "target_modules", "layers_to_transform", "layers_pattern"];

    /// <summary>Fields that do not change what a trained adapter computes: initialisation, training set-up, provenance.</summary>
    static readonly HashSet<string> Harmless =
    [
        "task_type", "base_model_name_or_path", "revision", "inference_mode", "auto_mapping", "peft_version", "init_lora_weights",
        "loftq_config", "eva_config", "corda_config", "megatron_config", "megatron_core", "runtime_config", "qalora_group_size",
        "ensure_weight_tying",
    ];

    /// <summary>Fields that change the computation; accepted only at PEFT's neutral value, refused naming what they do otherwise.</summary>
    static readonly Dictionary<string, string> NotImplemented = new(StringComparer.Ordinal)
    {
        ["rank_pattern"] = "per-module ranks are not supported",
        ["alpha_pattern"] = "per-module alphas are not supported",
        ["use_dora"] = "DoRA adapters are not supported",
        ["use_rslora"] = "rsLoRA scaling (alpha / sqrt(r)) is not supported",
        ["fan_in_fan_out"] = "transposed (Conv1D) LoRA weights are not supported",
        ["bias"] = "trained biases are not supported (only \"none\")",
        ["lora_bias"] = "a bias on lora_B is not supported",
        ["modules_to_save"] = "fully trained extra modules are not supported",
        ["exclude_modules"] = "excluded modules are not supported",
        ["layer_replication"] = "layer replication is not supported",
        ["use_qalora"] = "QA-LoRA is not supported",
        ["trainable_token_indices"] = "trainable token embeddings are not supported",
        ["target_parameters"] = "LoRA on parameters (not modules) is not supported",
        ["alora_invocation_tokens"] = "activated LoRA is not supported",
        ["arrow_config"] = "Arrow routing is not supported",
    };

    /// <summary>Parses adapter_config.json (<paramref name="path"/>, for messages) for a model of shape <paramref name="model"/>.</summary>
    public static LoraConfig Parse(string path, byte[] bytes, LlamaConfig model)
    {
        JsonObject json;
        try
        {
            json = JsonNode.Parse(bytes) as JsonObject
                ?? throw new InvalidFileException(path, "not a valid PEFT adapter config: not a JSON object");
            _ = json.Count; // materialises the properties: a name given twice throws here
        }
        catch (JsonException e) { throw new InvalidFileException(path, "not a valid PEFT adapter config: " + JsonProblem.Describe(e)); }
        catch (ArgumentException) { throw new InvalidFileException(path, "not a valid PEFT adapter config: a field is given twice"); }
        catch (InvalidOperationException) { throw new InvalidFileException(path, "not a valid PEFT adapter config: " + JsonProblem.InvalidText); }
        try { return Read(path, json, model); }
        catch (ArgumentException e) { throw new InvalidFileException(path, e.Message); }
        catch (Exception e) when (e is InvalidOperationException or FormatException or JsonException or OverflowException)
        { throw new InvalidFileException(path, "not a valid PEFT adapter config: a field has the wrong type or is not valid text"); }
    }

    static LoraConfig Read(string path, JsonObject json, LlamaConfig model)
    {
        foreach (var (field, value) in json)
        {
            if (Implemented.Contains(field) || Harmless.Contains(field)) continue;
            bool neutral = field == "bias" ? value is null || value.GetValue<string>() == "none" : IsUnset(value);
            if (neutral) continue;
            throw new ArgumentException(NotImplemented.TryGetValue(field, out string? why)
                ? $"{field} is {Show(value)}: {why}"
                : $"unknown field '{field}' is set ({Show(value)}); this reader does not implement it");
        }
        string peftType = json["peft_type"]?.GetValue<string>() ?? "LORA";
        if (!peftType.Equals("LORA", StringComparison.OrdinalIgnoreCase))
            throw new ArgumentException($"peft_type is '{peftType}', only LORA is supported");
        if (json["layers_pattern"] is { } pattern && !(pattern is JsonValue && pattern.GetValue<string>() == "layers")
            && !(pattern is JsonArray { Count: 1 } one && one[0]?.GetValue<string>() == "layers"))
            throw new ArgumentException($"layers_pattern is {Show(pattern)}: only \"layers\" (LLaMA's module names) is supported");
        List<int>? layers = json["layers_to_transform"] switch
        {
            JsonArray a => a.Select(n => n?.GetValue<int>() ?? throw new ArgumentException("layers_to_transform must list layer numbers")).ToList(),
            JsonValue v => [v.GetValue<int>()],
            _ => null,
        };
        var (targets, selectedLayers) = PeftTargetModules.Resolve(json["target_modules"], layers, model);
        return new LoraConfig
        {
            Rank = json["r"]?.GetValue<int>() ?? throw new ArgumentException("missing 'r'"),
            Alpha = json["lora_alpha"]?.GetValue<float>() ?? throw new ArgumentException("missing 'lora_alpha'"),
            Dropout = json["lora_dropout"]?.GetValue<float>() ?? 0,
            TargetModules = targets,
            Layers = selectedLayers,
        }.Validate(model);
    }

    /// <summary>PEFT's "off": null, false, 0, an empty string, list or object.</summary>
    static bool IsUnset(JsonNode? value) => value switch
    {
        null => true,
        JsonArray a => a.Count == 0,
        JsonObject o => o.Count == 0,
        JsonValue v when v.TryGetValue(out bool b) => !b,
        JsonValue v when v.TryGetValue(out string? s) => s!.Length == 0,
        JsonValue v when v.TryGetValue(out double d) => d == 0,
        _ => false,
    };

    static string Show(JsonNode? value)
    {
        string text = value?.ToJsonString() ?? "null";
        return text.Length <= 60 ? text : text[..57] + "...";
    }
}
