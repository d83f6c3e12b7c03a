using LLama;
using LLama.Common;
using LLama.Native;

namespace Adapters.LlamaCpp.Tests;

/// <summary>llama.cpp through LLamaSharp: greedy decoding from token ids, optionally with a GGUF LoRA applied at scale 1.</summary>
public static class LlamaCppGreedy
{
    static LlamaCppGreedy() => NativeLibraryConfig.All.WithLogCallback((_, _) => { }); // llama.cpp logs every load to stderr

    public sealed record Result(IReadOnlyList<int> Tokens, float[] FirstLogits, IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<int> Tokenized);

    /// <param name="tokenize">Text LLamaSharp tokenizes (with BOS) using the GGUF's own vocabulary, returned as <see cref="Result.Tokenized"/>.</param>
    public static Result Run(string modelFile, string? loraFile, IReadOnlyList<int> prompt, int steps, string tokenize = "")
    {
        // llama.cpp keeps its KV cache in f16 by default, and its CPU flash attention rounds through f16
        // (6·10⁻³ of the largest logit here); f32 cache and plain attention leave float rounding only.
        var parameters = new ModelParams(modelFile)
        {
            ContextSize = 512, BatchSize = 512, Threads = 2, BatchThreads = 2, GpuLayerCount = 0,
            TypeK = GGMLType.GGML_TYPE_F32, TypeV = GGMLType.GGML_TYPE_F32, FlashAttention = false,
        };
        using var weights = LLamaWeights.LoadFromFile(parameters);
        using var context = weights.CreateContext(parameters);
        var handle = context.NativeHandle;
        if (loraFile is not null)
        {
            var adapter = weights.NativeHandle.LoadLoraFromFile(loraFile);
            handle.SetLoraAdapters(new[] { (adapter, 1f) });
        }
        var batch = new LLamaBatch();
        for (int i = 0; i < prompt.Count; i++) batch.Add(prompt[i], i, LLamaSeqId.Zero, i == prompt.Count - 1);
        Decode(handle, batch);
        float[] first = handle.GetLogitsIth(batch.TokenCount - 1).ToArray();
        var tokens = new List<int>();
        float[] logits = first;
        for (int s = 0; s < steps; s++)
        {
            int next = ArgMax(logits);
            tokens.Add(next);
            if (s + 1 == steps) break;
            batch.Clear();
            batch.Add(next, prompt.Count + s, LLamaSeqId.Zero, true);
            Decode(handle, batch);
            logits = handle.GetLogitsIth(0).ToArray();
        }
        var tokenized = weights.Tokenize(tokenize, add_bos: true, special: false, System.Text.Encoding.UTF8).Select(t => (int)t).ToList();
        return new Result(tokens, first, weights.Metadata, tokenized);
    }

    static void Decode(SafeLLamaContextHandle handle, LLamaBatch batch)
    {
        var result = handle.Decode(batch);
        if (result != DecodeResult.Ok) throw new InvalidOperationException($"llama_decode returned {result}");
    }

    /// <summary>First maximum, as our Sampler.ArgMax.</summary>
    static int ArgMax(float[] logits)
    {
        int best = 0;
        for (int i = 1; i < logits.Length; i++) if (logits[i] > logits[best]) best = i;
        return best;
    }
}
