using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Core.IO;
using Adapters.Core.Model;

namespace Adapters.Core.Checkpoints;

/// <summary>
/// A Hugging Face LLaMA folder: config.json plus model.safetensors, or shards listed in
/// model.safetensors.index.json. F32/F16/BF16 weights are read as float32, and q/k rows are
/// converted from HF's rotate-half layout to the canonical adjacent-pair layout.
/// <para>
/// Compressed checkpoints (e.g. SFSD) list factorised projections in config.json under
/// <see cref="FactorizedKey"/>: {"model.layers.0.mlp.down_proj": {"rank": 12, "bias": true}, ...};
/// each has "{module}.weight_u" [out, k], "{module}.weight_v" [k, in] and, with a bias,
/// "{module}.bias" [out] in place of "{module}.weight" (<see cref="FactorizedProjection"/>).
/// For q_proj/k_proj the rows of weight_u and bias are in HF's rotate-half layout like a dense weight.
/// </para>
/// </summary>
public static class HfCheckpoint
{
    public const string ConfigFile = "config.json";
    public const string WeightsFile = "model.safetensors";
    public const string IndexFile = "model.safetensors.index.json";
    public const string FactorizedKey = "factorized_projections";

    public static bool IsHfFolder(string path) => Directory.Exists(path) && File.Exists(System.IO.Path.Combine(path, ConfigFile));

    /// <summary>config.json of the folder, read by <see cref="HfModelConfig"/>.</summary>
    public static LlamaConfig ReadConfig(string folder) => HfModelConfig.ReadFile(System.IO.Path.Combine(folder, ConfigFile));

    public static LlamaWeights Read(string folder)
    {
        var config = ReadConfig(folder);
        var files = OpenWeightFiles(folder);
        var factorizedModules = ReadFactorizedModules(folder);
        var tensors = new List<TensorData>();
        var factorized = new List<FactorizedProjection>();
        TensorData Read(string name, int[]? shape)
        {
            var file = files.FirstOrDefault(f => f.Contains(name))
                ?? throw new InvalidFileException(files.Count == 1 ? files[0].Path : System.IO.Path.Combine(folder, IndexFile),
                    $"missing tensor '{name}'" + (shape is null ? "" : $" (expected shape [{string.Join(", ", shape)}])"));
            return file.ReadFloat(name, shape);
        }
        for (int l = 0; l < config.NumLayers; l++)
            foreach (string p in LlamaTensorNames.Projections)
            {
                if (!factorizedModules.TryGetValue(LlamaTensorNames.ProjectionModule(l, p), out var entry)) continue;
                if (LlamaWeights.HasBias(config, p))
                    throw new InvalidFileException(System.IO.Path.Combine(folder, ConfigFile),
                        $"{FactorizedKey} names '{LlamaTensorNames.ProjectionModule(l, p)}', whose projection has a bias in this model: factorising a biased projection is not supported");
                var (o, i) = LlamaTensorNames.ProjectionShape(config, p);
                var u = RotaryLayout.FromHuggingFace(config, Read(FactorizedProjection.UName(l, p), [o, entry.Rank]));
                var v = Read(FactorizedProjection.VName(l, p), [entry.Rank, i]);
                var bias = entry.Bias ? RotaryLayout.FromHuggingFace(config, Read(FactorizedProjection.BiasName(l, p), [o])) : null;
                factorized.Add(new FactorizedProjection(l, p, u, v, bias));
            }
        if (factorized.Count != factorizedModules.Count)
        {
            var unknown = factorizedModules.Keys.First(m => !factorized.Any(f => LlamaTensorNames.ProjectionModule(f.Layer, f.Projection) == m));
            throw new InvalidFileException(System.IO.Path.Combine(folder, ConfigFile), $"{FactorizedKey} names '{unknown}', which is not a projection of this {config.NumLayers}-layer model");
        }
        var factorizedNames = factorized.Select(f => f.WeightName).ToHashSet();
        foreach (var (name, shape) in LlamaWeights.ExpectedShapes(config))
            if (!factorizedNames.Contains(name)) tensors.Add(RotaryLayout.FromHuggingFace(config, Read(name, shape)));
        RefuseUnusedTensors(files, tensors.Select(t => t.Name).Concat(factorized.SelectMany(FactorizedNames)), folder);
        return new LlamaWeights(config, tensors, factorized, folder);
    }

    static IEnumerable<string> FactorizedNames(FactorizedProjection f) =>
        f.Bias is null ? [FactorizedProjection.UName(f.Layer, f.Projection), FactorizedProjection.VName(f.Layer, f.Projection)]
        : [FactorizedProjection.UName(f.Layer, f.Projection), FactorizedProjection.VName(f.Layer, f.Projection), FactorizedProjection.BiasName(f.Layer, f.Projection)];

    /// <summary>A tensor the model does not read (a bias, a q_norm, an extra head) would change the output: refuse it.</summary>
    static void RefuseUnusedTensors(List<SafeTensorsFile> files, IEnumerable<string> used, string folder)
    {
        var usedSet = used.ToHashSet(StringComparer.Ordinal);
        foreach (var file in files)
        {
            var unused = file.Entries.Select(e => e.Name).Where(n => !usedSet.Contains(n)).Order(StringComparer.Ordinal).ToList();
            if (unused.Count > 0)
                throw new InvalidFileException(file.Path, $"{unused.Count} tensor(s) this model does not use: {string.Join(", ", unused.Take(5))}{(unused.Count > 5 ? ", ..." : "")}");
        }
    }

    /// <summary>config.json's factorised projections: module path → (rank, has bias); empty for a dense checkpoint.</summary>
    static Dictionary<string, (int Rank, bool Bias)> ReadFactorizedModules(string folder)
    {
        string path = System.IO.Path.Combine(folder, ConfigFile);
        var result = new Dictionary<string, (int, bool)>(StringComparer.Ordinal);
        try
        {
            if (JsonNode.Parse(File.ReadAllText(path))![FactorizedKey] is not JsonObject map) return result;
            foreach (var (module, node) in map)
            {
                int rank = node!["rank"]!.GetValue<int>();
                if (rank <= 0) throw new InvalidFileException(path, $"{FactorizedKey}.{module}.rank must be positive, got {rank}");
                result[module] = (rank, node["bias"]?.GetValue<bool>() ?? false);
            }
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException or FormatException)
        { throw new InvalidFileException(path, $"'{FactorizedKey}' must map module paths to {{\"rank\": k, \"bias\": bool}}: {e.Message}"); }
        return result;
    }

    /// <param name="dtype">F32, F16 or BF16.</param>
    /// <param name="shards">Number of safetensors shards; more than one writes an index file.</param>
    public static void Write(LlamaWeights weights, string folder, string dtype = "F32", int shards = 1)
    {
        var c = weights.Config;
        AtomicFile.WriteDirectory(folder, tmp =>
        {
            var config = ConfigJson(c, dtype);
            if (weights.Factorized.Count > 0)
                config[FactorizedKey] = new JsonObject(weights.Factorized.Values.Select(f => KeyValuePair.Create(
                    LlamaTensorNames.ProjectionModule(f.Layer, f.Projection), (JsonNode?)new JsonObject { ["rank"] = f.Rank, ["bias"] = f.Bias is not null })));
            File.WriteAllText(System.IO.Path.Combine(tmp, ConfigFile), config.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            SafeTensorsFile.WriteEntry Entry(TensorData t)
            {
                var hf = RotaryLayout.ToHuggingFace(c, t);
                return new(hf.Name, hf.Shape, Floats: hf.Data, DType: dtype);
            }
            var entries = new List<SafeTensorsFile.WriteEntry>();
            foreach (var e in LlamaWeights.ExpectedShapes(c))
            {
                if (!weights.Factorized.TryGetValue(e.Name, out var f)) { entries.Add(Entry(Renamed(weights[e.Name], e.Name))); continue; }
                entries.Add(Entry(Renamed(f.U, FactorizedProjection.UName(f.Layer, f.Projection))));
                entries.Add(Entry(Renamed(f.V, FactorizedProjection.VName(f.Layer, f.Projection))));
                if (f.Bias is { } b) entries.Add(Entry(Renamed(b, FactorizedProjection.BiasName(f.Layer, f.Projection))));
            }
            var meta = new Dictionary<string, string> { ["format"] = "pt" };
            if (shards <= 1)
            {
                SafeTensorsFile.Write(System.IO.Path.Combine(tmp, WeightsFile), entries, meta);
                return;
            }
            var weightMap = new JsonObject();
            int perShard = (entries.Count + shards - 1) / shards;
            for (int s = 0; s < shards; s++)
            {
                string shardName = $"model-{s + 1:D5}-of-{shards:D5}.safetensors";
                var part = entries.Skip(s * perShard).Take(perShard).ToList();
                SafeTensorsFile.Write(System.IO.Path.Combine(tmp, shardName), part, meta);
                foreach (var e in part) weightMap[e.Name] = shardName;
            }
            var index = new JsonObject { ["metadata"] = new JsonObject(), ["weight_map"] = weightMap };
            File.WriteAllText(System.IO.Path.Combine(tmp, IndexFile), index.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        });
    }

    /// <summary>
    /// config.json as Hugging Face's config class of the family writes it: every field that
    /// <see cref="HfModelConfig"/> reads back into the same <see cref="LlamaConfig"/>. A config
    /// whose features the family cannot express (a Qwen2 without q/k/v biases, a Mistral with
    /// biases, ...) is refused: HF would build a different model from that folder.
    /// </summary>
    public static JsonObject ConfigJson(LlamaConfig c, string dtype = "F32")
    {
        RefuseInexpressible(c);
        var json = new JsonObject
        {
            ["architectures"] = new JsonArray(ModelFamilies.Architecture(c.Family)),
            ["model_type"] = c.Family,
            ["hidden_act"] = "silu",
            ["hidden_size"] = c.Dim,
            ["intermediate_size"] = c.HiddenDim,
            ["num_hidden_layers"] = c.NumLayers,
            ["num_attention_heads"] = c.NumHeads,
            ["num_key_value_heads"] = c.NumKvHeads,
            ["head_dim"] = c.HeadSize,
            ["vocab_size"] = c.VocabSize,
            ["max_position_embeddings"] = c.MaxSeqLen,
            ["rms_norm_eps"] = c.NormEps,
            ["rope_theta"] = c.RopeTheta,
            ["rope_scaling"] = RopeScalingJson(c.RopeScaling),
            ["tie_word_embeddings"] = c.SharedClassifier,
            ["attention_dropout"] = 0.0,
            ["bos_token_id"] = 1,
            ["eos_token_id"] = 2,
            ["torch_dtype"] = dtype switch { "F16" => "float16", "BF16" => "bfloat16", _ => "float32" },
        };
        switch (c.Family)
        {
            case ModelFamilies.Llama:
                json["attention_bias"] = c.QkvBias;
                json["mlp_bias"] = false;
                break;
            case ModelFamilies.Qwen3:
                json["attention_bias"] = c.QkvBias;
                json["use_sliding_window"] = false;
                json["sliding_window"] = null;
                break;
            case ModelFamilies.Qwen2:
                json["use_sliding_window"] = false;
                json["sliding_window"] = null;
                break;
            case ModelFamilies.Mistral:
                json["sliding_window"] = null; // the context written is the one served; no window applies within it
                break;
        }
        return json;
    }

    static JsonNode? RopeScalingJson(RopeScaling? s) => s switch
    {
        null => null,
        { Type: RopeScaling.Llama3 } => new JsonObject
        {
            ["rope_type"] = s.Type,
            ["factor"] = s.Factor,
            ["low_freq_factor"] = s.LowFreqFactor,
            ["high_freq_factor"] = s.HighFreqFactor,
            ["original_max_position_embeddings"] = s.OriginalMaxPositionEmbeddings,
        },
        _ => new JsonObject { ["rope_type"] = s.Type, ["factor"] = s.Factor },
    };

    /// <summary>Throws naming the feature when the family's HF config cannot express it.</summary>
    static void RefuseInexpressible(LlamaConfig c)
    {
        string? problem = c.Family switch
        {
            ModelFamilies.Qwen2 when !c.QkvBias || c.OutputBias => "Qwen2 always has q/k/v biases and never an o_proj bias",
            ModelFamilies.Qwen3 when !c.QkNorm => "Qwen3 always has q_norm/k_norm",
            ModelFamilies.Mistral when c.QkvBias || c.OutputBias => "Mistral has no attention biases",
            ModelFamilies.Llama or ModelFamilies.Qwen3 when c.QkvBias != c.OutputBias => $"{ModelFamilies.Architecture(c.Family)}'s attention_bias sets the q/k/v and o_proj biases together",
            _ => null,
        };
        if (problem is null && c.QkNorm && c.Family != ModelFamilies.Qwen3) problem = "only Qwen3 has q_norm/k_norm";
        if (problem is not null)
            throw new ArgumentException($"cannot write a Hugging Face {c.Family} config with qkv_bias {c.QkvBias}, o_bias {c.OutputBias}, qk_norm {c.QkNorm}: {problem}");
    }

    static List<SafeTensorsFile> OpenWeightFiles(string folder)
    {
        string single = System.IO.Path.Combine(folder, WeightsFile);
        string index = System.IO.Path.Combine(folder, IndexFile);
        if (File.Exists(single)) return [SafeTensorsFile.Open(single)];
        if (!File.Exists(index))
            throw new InvalidFileException(folder, $"neither {WeightsFile} nor {IndexFile} found");
        JsonObject map;
        try { map = JsonNode.Parse(File.ReadAllText(index))!["weight_map"]!.AsObject(); }
        catch (Exception e) when (e is JsonException or InvalidOperationException or NullReferenceException)
        { throw new InvalidFileException(index, "expected a JSON object with a 'weight_map' object: " + e.Message); }
        return map.Select(kv => kv.Value!.GetValue<string>()).Distinct()
            .Select(f => SafeTensorsFile.Open(System.IO.Path.Combine(folder, f))).ToList();
    }

    /// <summary>The tensor under the name it is stored as (a shared classifier is read as the embedding).</summary>
    static TensorData Renamed(TensorData t, string name) => t.Name == name ? t : new TensorData(name, t.Shape, t.Data);
}
