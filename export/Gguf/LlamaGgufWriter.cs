using Adapters.Core.Model;
using static Adapters.Core.Model.LlamaTensorNames;

namespace Adapters.Export.Gguf;

/// <summary>
/// Our base weights as a float32 GGUF model for llama.cpp, in the architecture of their family
/// (<see cref="GgufArchitecture"/>: "llama" for Llama/Mistral, "qwen2", "qwen3"). For "llama" no
/// rotary permutation: our q/k rows rotate adjacent pairs (llama2.c / Meta), which is what
/// llama.cpp's "llama" rope (LLAMA_ROPE_TYPE_NORM) rotates — convert_hf_to_gguf.py permutes Hugging
/// Face's rotate-half rows back into this very layout. "qwen2"/"qwen3" rotate halves
/// (LLAMA_ROPE_TYPE_NEOX), so their rotated rows go back to Hugging Face's order. The head size is
/// written explicitly (attention.key_length/value_length: Qwen3's head_dim is not dim / heads);
/// llama3 rope scaling becomes the rope_freqs tensor (llama.cpp divides frequency i by factor i),
/// linear scaling the rope.scaling keys.
/// </summary>
public static class LlamaGgufWriter
{
    /// <summary>Name of llama.cpp's per-frequency divisor tensor (LLM_TENSOR_ROPE_FREQS).</summary>
    public const string RopeFreqsTensor = "rope_freqs.weight";

    /// <exception cref="ArgumentException">Factorised projections, a feature llama.cpp's architecture lacks, or a vocabulary that does not match the model.</exception>
    public static void Write(LlamaWeights weights, GgufVocabulary vocabulary, string path, string? name = null)
    {
        var c = weights.Config;
        if (weights.Factorized.Count > 0)
            throw new ArgumentException($"weights from {weights.Source} hold {weights.Factorized.Count} factorised projection(s) (e.g. '{weights.Factorized.Keys.First()}'); GGUF's llama architecture has dense projections only");
        if (vocabulary.Pieces.Count != c.VocabSize)
            throw new ArgumentException($"the tokenizer holds {vocabulary.Pieces.Count} tokens but the model's vocab_size is {c.VocabSize}");
        var arch = GgufArchitecture.For(c);
        string a = arch.Name;

        var gguf = new GgufWriter()
            .Add(GgufKeys.Architecture, a)
            .Add(GgufKeys.Type, GgufKeys.ModelType)
            .Add(GgufKeys.Name, name ?? Path.GetFileNameWithoutExtension(weights.Source))
            .Add(GgufKeys.FileType, GgufKeys.AllF32)
            .Add(GgufKeys.ContextLength(a), (uint)c.MaxSeqLen)
            .Add(GgufKeys.EmbeddingLength(a), (uint)c.Dim)
            .Add(GgufKeys.BlockCount(a), (uint)c.NumLayers)
            .Add(GgufKeys.FeedForwardLength(a), (uint)c.HiddenDim)
            .Add(GgufKeys.HeadCount(a), (uint)c.NumHeads)
            .Add(GgufKeys.HeadCountKv(a), (uint)c.NumKvHeads)
            .Add(GgufKeys.KeyLength(a), (uint)c.HeadSize)
            .Add(GgufKeys.ValueLength(a), (uint)c.HeadSize)
            .Add(GgufKeys.RmsNormEpsilon(a), c.NormEps)
            .Add(GgufKeys.RopeDimensionCount(a), (uint)c.HeadSize)
            .Add(GgufKeys.RopeFreqBase(a), c.RopeTheta)
            .Add(GgufKeys.VocabSize(a), (uint)c.VocabSize)
            .Add(GgufKeys.TokenizerModel, GgufKeys.LlamaTokenizerModel)
            .Add(GgufKeys.Tokens, vocabulary.Pieces)
            .Add(GgufKeys.Scores, vocabulary.Scores)
            .Add(GgufKeys.TokenTypes, vocabulary.Types.Select(t => (int)t).ToArray())
            .Add(GgufKeys.BosId, (uint)vocabulary.BosId)
            .Add(GgufKeys.EosId, (uint)vocabulary.EosId)
            .Add(GgufKeys.UnknownId, (uint)vocabulary.UnknownId)
            .Add(GgufKeys.AddBos, true)
            .Add(GgufKeys.AddEos, false);
        if (c.RopeScaling is { Type: RopeScaling.Linear } linear)
            gguf.Add(GgufKeys.RopeScalingType(a), RopeScaling.Linear).Add(GgufKeys.RopeScalingFactor(a), (float)linear.Factor);

        void Tensor(string ggufName, string ourName, int? rotatedHeads = null)
        {
            var t = arch.RotaryRows(weights[ourName], rotatedHeads);
            gguf.AddTensor(ggufName, t.Shape, t.Data);
        }
        Tensor(GgufTensorNames.TokenEmbedding, TokenEmbedding);
        if (c.RopeScaling is { Type: RopeScaling.Llama3 })
        {
            // llama.cpp's theta_i = p · base^(−2i/n) / rope_freqs[i]: the divisor is unscaled / scaled frequency.
            double[] plain = RotaryFrequencies.Inverse(c with { RopeScaling = null }), scaled = RotaryFrequencies.Inverse(c);
            gguf.AddTensor(RopeFreqsTensor, [plain.Length], plain.Select((f, i) => (float)(f / scaled[i])).ToArray());
        }
        for (int l = 0; l < c.NumLayers; l++)
        {
            Tensor(GgufTensorNames.AttentionNorm(l), AttentionNorm(l));
            foreach (string p in Projections)
            {
                int? heads = GgufArchitecture.RotatedHeads(c, p);
                Tensor(GgufTensorNames.Projection(l, p), Projection(l, p), heads);
                if (LlamaWeights.HasBias(c, p)) Tensor(GgufTensorNames.Bias(l, p), ProjectionBias(l, p), heads);
                else if (arch.RequiresBias(p)) gguf.AddTensor(GgufTensorNames.Bias(l, p), [ProjectionShape(c, p).Out], new float[ProjectionShape(c, p).Out]);
            }
            if (c.QkNorm)
            {
                Tensor(GgufTensorNames.QNorm(l), QNorm(l), rotatedHeads: 1);
                Tensor(GgufTensorNames.KNorm(l), KNorm(l), rotatedHeads: 1);
            }
            Tensor(GgufTensorNames.FfnNorm(l), FfnNorm(l));
        }
        Tensor(GgufTensorNames.FinalNorm, FinalNorm);
        // A tied classifier is left out: llama.cpp then reads output from token_embd.
        if (!c.SharedClassifier) Tensor(GgufTensorNames.Classifier, Classifier);
        gguf.Write(path);
    }
}
