using Adapters.Core.Model;
using static Adapters.Core.Model.LlamaTensorNames;

namespace Adapters.Export.Gguf;

/// <summary>
/// Our base weights as a float32 GGUF model for llama.cpp's "llama" architecture. No rotary
/// permutation: our q/k rows rotate adjacent pairs (llama2.c / Meta), which is what llama.cpp's
/// "llama" rope (LLAMA_ROPE_TYPE_NORM) rotates — convert_hf_to_gguf.py permutes Hugging Face's
/// rotate-half rows back into this very layout.
/// </summary>
public static class LlamaGgufWriter
{
    /// <exception cref="ArgumentException">Factorised projections, or a vocabulary that does not match the model.</exception>
    public static void Write(LlamaWeights weights, GgufVocabulary vocabulary, string path, string? name = null)
    {
        var c = weights.Config;
        if (weights.Factorized.Count > 0)
            throw new ArgumentException($"weights from {weights.Source} hold {weights.Factorized.Count} factorised projection(s) (e.g. '{weights.Factorized.Keys.First()}'); GGUF's llama architecture has dense projections only");
        if (vocabulary.Pieces.Count != c.VocabSize)
            throw new ArgumentException($"the tokenizer holds {vocabulary.Pieces.Count} tokens but the model's vocab_size is {c.VocabSize}");

        var gguf = new GgufWriter()
            .Add(GgufKeys.Architecture, GgufKeys.LlamaArchitecture)
            .Add(GgufKeys.Type, GgufKeys.ModelType)
            .Add(GgufKeys.Name, name ?? Path.GetFileNameWithoutExtension(weights.Source))
            .Add(GgufKeys.FileType, GgufKeys.AllF32)
            .Add(GgufKeys.ContextLength, (uint)c.MaxSeqLen)
            .Add(GgufKeys.EmbeddingLength, (uint)c.Dim)
            .Add(GgufKeys.BlockCount, (uint)c.NumLayers)
            .Add(GgufKeys.FeedForwardLength, (uint)c.HiddenDim)
            .Add(GgufKeys.HeadCount, (uint)c.NumHeads)
            .Add(GgufKeys.HeadCountKv, (uint)c.NumKvHeads)
            .Add(GgufKeys.RmsNormEpsilon, c.NormEps)
            .Add(GgufKeys.RopeDimensionCount, (uint)c.HeadSize)
            .Add(GgufKeys.RopeFreqBase, c.RopeTheta)
            .Add(GgufKeys.VocabSize, (uint)c.VocabSize)
            .Add(GgufKeys.TokenizerModel, GgufKeys.LlamaTokenizerModel)
            .Add(GgufKeys.Tokens, vocabulary.Pieces)
            .Add(GgufKeys.Scores, vocabulary.Scores)
            .Add(GgufKeys.TokenTypes, vocabulary.Types.Select(t => (int)t).ToArray())
            .Add(GgufKeys.BosId, (uint)vocabulary.BosId)
            .Add(GgufKeys.EosId, (uint)vocabulary.EosId)
            .Add(GgufKeys.UnknownId, (uint)vocabulary.UnknownId)
            .Add(GgufKeys.AddBos, true)
            .Add(GgufKeys.AddEos, false);

        void Tensor(string ggufName, string ourName)
        {
            var t = weights[ourName];
            gguf.AddTensor(ggufName, t.Shape, t.Data);
        }
        Tensor(GgufTensorNames.TokenEmbedding, TokenEmbedding);
        for (int l = 0; l < c.NumLayers; l++)
        {
            Tensor(GgufTensorNames.AttentionNorm(l), AttentionNorm(l));
            foreach (string p in Projections) Tensor(GgufTensorNames.Projection(l, p), Projection(l, p));
            Tensor(GgufTensorNames.FfnNorm(l), FfnNorm(l));
        }
        Tensor(GgufTensorNames.FinalNorm, FinalNorm);
        // A tied classifier is left out: llama.cpp then reads output from token_embd.
        if (!c.SharedClassifier) Tensor(GgufTensorNames.Classifier, Classifier);
        gguf.Write(path);
    }
}
