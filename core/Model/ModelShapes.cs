using System.Text.Json;
using Adapters.Core.IO;

namespace Adapters.Core.Model;

/// <summary>
/// Named model shapes: the llama2.c TinyStories family (260K is the real checkpoint in
/// ../shared/models; 15M/42M/110M are used with random weights for tests and benchmarks).
/// </summary>
public static class ModelShapes
{
    public static readonly IReadOnlyDictionary<string, LlamaConfig> Named = new Dictionary<string, LlamaConfig>(StringComparer.OrdinalIgnoreCase)
    {
        ["260K"] = new() { Dim = 64, HiddenDim = 172, NumLayers = 5, NumHeads = 8, NumKvHeads = 4, VocabSize = 512, MaxSeqLen = 512 },
        ["15M"] = new() { Dim = 288, HiddenDim = 768, NumLayers = 6, NumHeads = 6, NumKvHeads = 6, VocabSize = 32000, MaxSeqLen = 256 },
        ["42M"] = new() { Dim = 512, HiddenDim = 1376, NumLayers = 8, NumHeads = 8, NumKvHeads = 8, VocabSize = 32000, MaxSeqLen = 1024 },
        ["110M"] = new() { Dim = 768, HiddenDim = 2048, NumLayers = 12, NumHeads = 12, NumKvHeads = 12, VocabSize = 32000, MaxSeqLen = 1024 },
    };

    /// <summary>Looks up a named shape; the error lists the known names.</summary>
    public static LlamaConfig Get(string name) =>
        Named.TryGetValue(name, out var config)
            ? config
            : throw new ArgumentException($"unknown model shape '{name}'; known shapes: {string.Join(", ", Named.Keys)}");

    /// <summary>
    /// A named shape, or a JSON file holding a Hugging Face config.json or a <see cref="LlamaConfig"/>: text that looks like a
    /// path (a separator or a .json ending) is a file, and a missing one is reported as such.
    /// </summary>
    public static LlamaConfig Resolve(string shape)
    {
        bool looksLikeFile = shape.EndsWith(".json", StringComparison.OrdinalIgnoreCase) || shape.Contains('/') || shape.Contains(Path.DirectorySeparatorChar);
        if (!looksLikeFile && !File.Exists(shape)) return Get(shape);
        if (!File.Exists(shape)) throw new InvalidFileException(shape, "file not found (--shape takes a named shape or a JSON model config)");
        try
        {
            if (System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(shape)) is System.Text.Json.Nodes.JsonObject json && Checkpoints.HfModelConfig.LooksLikeHfConfig(json))
                return Checkpoints.HfModelConfig.ReadFile(shape);
            return (JsonSerializer.Deserialize<LlamaConfig>(File.ReadAllText(shape))
                ?? throw new InvalidFileException(shape, "empty model config")).Validate();
        }
        catch (JsonException e) { throw new InvalidFileException(shape, $"not a valid model config: {e.Message}"); }
        catch (ArgumentException e) { throw new InvalidFileException(shape, $"invalid model config: {e.Message}"); }
    }

    /// <summary>"dim 64, hidden 172, 5 layers, …": a shape in one line for logs.</summary>
    public static string Describe(LlamaConfig c)
    {
        // head_dim is named where it is not dim / heads (Qwen3-0.6B: 128, not 64), with the features that change the math.
        string head = c.HeadDim is int explicitHead && explicitHead * c.NumHeads != c.Dim ? $", head_dim {explicitHead}" : "";
        string features = (c.QkvBias ? ", q/k/v biases" : "") + (c.QkNorm ? ", q/k norm" : "")
            + (c.RopeScaling is { } scaling ? $", rope scaling {scaling.Type} x{scaling.Factor:0.##}" : "");
        return $"dim {c.Dim}, hidden {c.HiddenDim}, {c.NumLayers} layers, {c.NumHeads} heads{head}, {c.NumKvHeads} kv heads, vocab {c.VocabSize}, context {c.MaxSeqLen}{features}";
    }
}
