using Adapters.Core.Checkpoints;
using Adapters.Core.Model;

namespace Adapters.TestSupport;

/// <summary>
/// Tiny configurations of each model family with the feature that sets it apart, for tests that
/// run every engine in seconds: Llama 3 (llama3 rope_scaling whose bands fall inside the test's
/// positions), Llama with attention_bias (q/k/v and o_proj biases), Mistral (untied classifier),
/// Qwen2 (q/k/v biases) and Qwen3 (q/k norm and head_dim 16 with dim 48 and 4 heads, so q_proj
/// is [64, 48]). All use grouped-query attention.
/// </summary>
public static class TinyFamilies
{
    public const string Llama3 = "llama3", LlamaBias = "llama-bias", Mistral = "mistral", Qwen2 = "qwen2", Qwen3 = "qwen3";

    public static readonly IReadOnlyList<string> Names = [Llama3, LlamaBias, Mistral, Qwen2, Qwen3];

    /// <summary>
    /// Random weights scale: at GPT-2's 0.02 a tiny model's attention is nearly uniform and rotary
    /// scaling or q/k norm hardly moves the logits; 0.2 gives peaked attention, and norm gains
    /// 1 + N(0, 0.3²) make a misplaced per-channel weight (q_norm, k_norm) visible.
    /// </summary>
    public const float WeightStd = 0.2f, NormStd = 0.3f;

    public static LlamaConfig Config(string name) => name switch
    {
        // original 16, low 1, high 4: periods above 16 positions are slowed 8×, those between 4 and 16 blended.
        Llama3 => Base with
        {
            RopeTheta = 500000f,
            RopeScaling = new RopeScaling { Type = RopeScaling.Llama3, Factor = 8, LowFreqFactor = 1, HighFreqFactor = 4, OriginalMaxPositionEmbeddings = 16 },
        },
        LlamaBias => Base with { QkvBias = true, OutputBias = true },
        Mistral => Base with { Family = ModelFamilies.Mistral, NumKvHeads = 1, SharedClassifier = false },
        Qwen2 => Base with { Family = ModelFamilies.Qwen2, QkvBias = true, RopeTheta = 1000000f, NormEps = 1e-6f },
        Qwen3 => Base with { Family = ModelFamilies.Qwen3, Dim = 48, HeadDim = 16, QkNorm = true, RopeTheta = 1000000f, NormEps = 1e-6f },
        _ => throw new ArgumentException($"unknown tiny family '{name}'; known: {string.Join(", ", Names)}"),
    };

    /// <summary>Random weights of <see cref="Config"/> at <see cref="WeightStd"/> / <see cref="NormStd"/>.</summary>
    public static LlamaWeights Weights(string name, int seed = 5) => Weights(Config(name), seed);

    public static LlamaWeights Weights(LlamaConfig config, int seed = 5) => RandomCheckpoint.Create(config, seed, WeightStd, NormStd);

    /// <summary>
    /// The same weights with one feature turned off: rope scaling removed, biases or q/k norm
    /// dropped. What a test compares against to show the feature changes the output.
    /// </summary>
    public static LlamaWeights WithoutFeature(LlamaWeights weights)
    {
        var c = weights.Config;
        var plain = c with { RopeScaling = null, QkvBias = false, OutputBias = false, QkNorm = false };
        var kept = LlamaWeights.ExpectedShapes(plain).Select(e => e.Name).ToHashSet();
        return new LlamaWeights(plain, weights.Tensors.Where(t => kept.Contains(t.Name)), weights.Source + " (feature off)");
    }

    static readonly LlamaConfig Base = new()
    {
        Dim = 64, HiddenDim = 96, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, VocabSize = 97, MaxSeqLen = 64,
    };
}
