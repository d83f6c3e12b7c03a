using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.TestSupport;

namespace Adapters.Training.Tests;

/// <summary>The checkpoints the tests run on.</summary>
static class TestModels
{
    /// <summary>The real pretrained stories260K (grouped-query attention 8/4, shared classifier).</summary>
    public static LlamaWeights Stories260K() => Llama2cCheckpoint.Read(SharedModels.Stories260K);

    /// <summary>
    /// A tiny random model exercising what stories260K does not: 3 query heads per kv head, a
    /// separate classifier, and non-default rotary base and norm epsilon.
    /// </summary>
    public static readonly LlamaConfig GqaSeparateClassifier = new()
    {
        Dim = 48, HiddenDim = 128, NumLayers = 2, NumHeads = 6, NumKvHeads = 2, VocabSize = 97, MaxSeqLen = 64,
        RopeTheta = 500_000f, NormEps = 1e-6f, SharedClassifier = false,
    };

    /// <summary>
    /// Random weights at init scale (std 0.02) give near-uniform logits, which would hide errors.
    /// Five times larger (std 0.1) spreads attention and logits, so a wrong rotation or mask shows,
    /// while values stay small enough for float32 to meet the reference tolerance.
    /// </summary>
    public const float RandomWeightScale = 5f;

    public static LlamaWeights Random(LlamaConfig config, int seed = 1)
    {
        var weights = RandomCheckpoint.Create(config, seed);
        var scaled = weights.Tensors
            .Where(t => t.Shape.Length == 2)
            .Select(t => new TensorData(t.Name, t.Shape, t.Data.Select(v => v * RandomWeightScale).ToArray()));
        return weights.With(scaled);
    }
}
