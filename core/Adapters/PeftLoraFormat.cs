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

    /// <summary>Reads adapter_config.json of an opened folder (<see cref="PeftAdapterConfig"/>).</summary>
    public static LoraConfig ReadConfig(UntrustedFolder folder, LlamaConfig model, CancellationToken cancel = default)
    {
        if (!folder.HasFile(ConfigFile))
            throw new InvalidFileException(folder.PathOf(ConfigFile), "file not found (a PEFT LoRA folder needs adapter_config.json)");
        var file = folder.Read(ConfigFile, UntrustedFile.MaxJsonBytes, "a JSON config", cancel);
        return PeftAdapterConfig.Parse(file.Path, file.Bytes, model);
    }

    /// <summary>
    /// Reads a PEFT LoRA for a model of shape <paramref name="model"/>, checking every tensor's
    /// shape and value. PEFT records no base-model fingerprint, so the manifest gets
    /// <paramref name="baseModel"/>, the model the caller applies it to. Callers go through
    /// <see cref="AdapterSourceReader"/>, which decides that a folder is PEFT.
    /// </summary>
    public static AdapterFolder Read(string folder, LlamaConfig model, ModelFingerprint baseModel)
    {
        using var opened = UntrustedFolder.Open(folder, FileConfinement.Anywhere);
        return Read(opened, model, baseModel);
    }

    public static AdapterFolder Read(UntrustedFolder folder, LlamaConfig model, ModelFingerprint baseModel, CancellationToken cancel = default)
    {
        var lora = ReadConfig(folder, model, cancel);
        var expected = lora.ExpectedTensors(model).ToList();
        var weights = folder.Read(WeightsFile, AdapterFolder.MaxWeightsBytes(expected), "the tensors adapter_config.json declares", cancel);
        return FromWeights(lora, expected, SafeTensorsFile.Parse(weights.Path, weights.Bytes), model, baseModel, folder.RealPath);
    }

    /// <summary>The adapter from a parsed adapter_model.safetensors: every expected tensor with its shape and finite values, nothing else.</summary>
    public static AdapterFolder FromWeights(LoraConfig lora, IReadOnlyList<(string Name, int[] Shape)> expected, SafeTensorsFile file,
        LlamaConfig model, ModelFingerprint baseModel, string source)
    {
        var tensors = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var (name, shape) in expected)
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
            Training = new JsonObject { ["imported_from"] = "peft", ["source"] = source },
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
