using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Core.Checkpoints;
using Adapters.Core.IO;
using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

/// <summary>
/// Hugging Face PEFT's LoRA layout: adapter_config.json + adapter_model.safetensors with keys
/// "base_model.model.{module}.lora_A.weight" [r, in] and ".lora_B.weight" [out, r]. PEFT
/// adapters are trained on HF checkpoints, whose q/k output rows are in the rotate-half layout,
/// so lora_B of q_proj/k_proj is permuted to our canonical layout on read and back on write.
/// </summary>
public static class PeftLoraFormat
{
    public const string ConfigFile = "adapter_config.json";
    public const string WeightsFile = "adapter_model.safetensors";
    const string KeyPrefix = "base_model.model.";

    public static LoraConfig ReadConfig(string folder)
    {
        string path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path)) throw new InvalidFileException(path, "file not found (a PEFT LoRA folder needs adapter_config.json)");
        try
        {
            var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            string peftType = json["peft_type"]?.GetValue<string>() ?? "LORA";
            if (!peftType.Equals("LORA", StringComparison.OrdinalIgnoreCase))
                throw new InvalidFileException(path, $"peft_type is '{peftType}', only LORA is supported");
            if (json["use_dora"]?.GetValue<bool>() == true) throw new InvalidFileException(path, "DoRA adapters are not supported");
            if (json["use_rslora"]?.GetValue<bool>() == true) throw new InvalidFileException(path, "rsLoRA scaling is not supported");
            if (json["fan_in_fan_out"]?.GetValue<bool>() == true) throw new InvalidFileException(path, "fan_in_fan_out LoRA is not supported");
            string bias = json["bias"]?.GetValue<string>() ?? "none";
            if (bias != "none") throw new InvalidFileException(path, $"LoRA bias '{bias}' is not supported (only 'none')");
            var targets = json["target_modules"] switch
            {
                JsonArray a => a.Select(n => n!.GetValue<string>()).ToList(),
                JsonValue v => [v.GetValue<string>()],
                _ => throw new InvalidFileException(path, "target_modules is missing"),
            };
            var layers = json["layers_to_transform"] switch
            {
                JsonArray a => a.Select(n => n!.GetValue<int>()).ToList(),
                JsonValue v => [v.GetValue<int>()],
                _ => new List<int>(),
            };
            return new LoraConfig
            {
                Rank = json["r"]?.GetValue<int>() ?? throw new InvalidFileException(path, "missing 'r'"),
                Alpha = json["lora_alpha"]?.GetValue<float>() ?? throw new InvalidFileException(path, "missing 'lora_alpha'"),
                Dropout = json["lora_dropout"]?.GetValue<float>() ?? 0,
                TargetModules = targets,
                Layers = layers,
            };
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or NullReferenceException)
        {
            throw new InvalidFileException(path, "not a valid PEFT adapter config: " + e.Message);
        }
    }

    /// <summary>
    /// Reads a PEFT LoRA for a model of shape <paramref name="model"/>, checking every tensor's
    /// shape and value. PEFT records no base-model fingerprint, so the manifest gets
    /// <paramref name="baseModel"/>, the model the caller applies it to. Callers go through
    /// <see cref="AdapterSourceReader"/>, which decides that a folder is PEFT.
    /// </summary>
    public static AdapterFolder Read(string folder, LlamaConfig model, ModelFingerprint baseModel)
    {
        string configPath = Path.Combine(folder, ConfigFile);
        LoraConfig lora;
        try { lora = ReadConfig(folder).Validate(model); }
        catch (ArgumentException e) { throw new InvalidFileException(configPath, e.Message); }
        var file = SafeTensorsFile.Open(Path.Combine(folder, WeightsFile));
        var tensors = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var (name, shape) in lora.ExpectedTensors(model))
        {
            string key = KeyPrefix + name;
            if (!file.Contains(key))
                throw new InvalidFileException(file.Path, $"missing tensor '{key}' (expected shape [{string.Join(", ", shape)}] for rank {lora.Rank})");
            var actual = file[key].Shape;
            if (!actual.AsSpan().SequenceEqual(shape))
                throw new InvalidFileException(file.Path,
                    $"tensor '{key}' has shape [{string.Join(", ", actual)}], expected [{string.Join(", ", shape)}] (adapter_config.json says r = {lora.Rank})");
            var t = file.ReadFloat(key, shape, asName: name);
            AdapterFolder.EnsureFinite(file.Path, t);
            tensors[name] = ToCanonical(t, model, toHf: false);
        }
        var unexpected = file.Entries.Select(e => e.Name).FirstOrDefault(n => !tensors.ContainsKey(n.StartsWith(KeyPrefix, StringComparison.Ordinal) ? n[KeyPrefix.Length..] : n));
        if (unexpected is not null)
            throw new InvalidFileException(file.Path, $"unexpected tensor '{unexpected}' for a rank-{lora.Rank} LoRA on {string.Join(", ", lora.TargetModules)}");
        var manifest = new AdapterManifest
        {
            Method = AdapterMethods.Lora,
            Hyperparameters = AdapterManifest.ToJsonObject(lora),
            BaseModel = baseModel,
            Training = new JsonObject { ["imported_from"] = "peft", ["source"] = Path.GetFullPath(folder) },
        };
        return new AdapterFolder(manifest, tensors);
    }

    public static void Write(string folder, LoraConfig lora, LlamaConfig model, IReadOnlyDictionary<string, TensorData> tensors, string? baseModelName = null)
    {
        var config = new JsonObject
        {
            ["peft_type"] = "LORA",
            ["task_type"] = "CAUSAL_LM",
            ["r"] = lora.Rank,
            ["lora_alpha"] = lora.Alpha,
            ["lora_dropout"] = lora.Dropout,
            ["target_modules"] = new JsonArray(lora.TargetModules.Select(t => (JsonNode)t).ToArray()),
            ["layers_to_transform"] = lora.Layers.Count > 0 ? new JsonArray(lora.Layers.Select(l => (JsonNode)l).ToArray()) : null,
            ["bias"] = "none",
            ["fan_in_fan_out"] = false,
            ["use_rslora"] = false,
            ["base_model_name_or_path"] = baseModelName,
        };
        var entries = lora.ExpectedTensors(model).Select(e =>
        {
            var t = tensors.TryGetValue(e.Name, out var found) ? found : throw new ArgumentException($"LoRA tensor '{e.Name}' is missing");
            if (!t.HasShape(e.Shape)) throw new ArgumentException($"LoRA tensor '{e.Name}' has shape {t.ShapeText}, expected [{string.Join(", ", e.Shape)}]");
            var hf = ToCanonical(t, model, toHf: true);
            return new SafeTensorsFile.WriteEntry(KeyPrefix + e.Name, hf.Shape, Floats: hf.Data);
        }).ToList();
        AtomicFile.WriteDirectory(folder, tmp =>
        {
            SafeTensorsFile.Write(Path.Combine(tmp, WeightsFile), entries, new Dictionary<string, string> { ["format"] = "pt" });
            File.WriteAllText(Path.Combine(tmp, ConfigFile), config.ToJsonString(AdapterManifest.Json));
        });
    }

    /// <summary>Permutes lora_B rows of q_proj/k_proj between HF's rotate-half and the canonical layout.</summary>
    static TensorData ToCanonical(TensorData t, LlamaConfig model, bool toHf)
    {
        bool isB = t.Name.EndsWith(".lora_B.weight", StringComparison.Ordinal);
        int heads = t.Name.Contains(".self_attn.q_proj.") ? model.NumHeads : t.Name.Contains(".self_attn.k_proj.") ? model.NumKvHeads : 0;
        if (!isB || heads == 0) return t;
        return toHf ? RotaryLayout.ToHuggingFace(t, heads) : RotaryLayout.FromHuggingFace(t, heads);
    }
}
