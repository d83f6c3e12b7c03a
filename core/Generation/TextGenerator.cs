using Adapters.Core.Tokenizers;

namespace Adapters.Core.Generation;

/// <summary>
/// The one generation loop every engine shares: prefill the prompt, then decode one token at a
/// time with the session's KV cache until EOS, the token budget, or the context end.
/// </summary>
public static class TextGenerator
{
    /// <summary>Yields the generated token ids (not the prompt), one per decode step; stops before <paramref name="eosToken"/>.</summary>
    public static IEnumerable<int> GenerateTokens(IDecoderModel model, IReadOnlyList<int> promptTokens, int maxNewTokens,
        SamplingOptions sampling, int? eosToken = null, CancellationToken cancel = default) =>
        GenerateTokens(model, promptTokens, maxNewTokens, sampling, eosToken is int eos ? new HashSet<int> { eos } : new HashSet<int>(), cancel);

    /// <summary>Yields the generated token ids (not the prompt), one per decode step; stops before any of <paramref name="stopTokens"/>.</summary>
    public static IEnumerable<int> GenerateTokens(IDecoderModel model, IReadOnlyList<int> promptTokens, int maxNewTokens,
        SamplingOptions sampling, IReadOnlySet<int> stopTokens, CancellationToken cancel = default)
    {
        if (promptTokens.Count == 0) throw new ArgumentException("the prompt must hold at least one token (BOS)");
        if (maxNewTokens < 0) throw new ArgumentException($"max new tokens must be >= 0, got {maxNewTokens}");
        int context = model.Config.MaxSeqLen;
        if (promptTokens.Count > context)
            throw new ArgumentException($"prompt is {promptTokens.Count} tokens, longer than the model's context of {context}");
        var sampler = new Sampler(sampling, promptTokens);
        using var session = model.StartSession();
        if (maxNewTokens == 0) yield break;
        // Sampled at once from the session's borrowed logits: nothing of them outlives a yield.
        int next = sampler.Sample(session.ForwardLast(promptTokens.ToArray()));
        var step1 = new int[1];
        for (int step = 0; step < maxNewTokens && session.Position < context; step++)
        {
            cancel.ThrowIfCancellationRequested();
            if (step > 0) next = sampler.Sample(session.ForwardLast(step1));
            if (stopTokens.Contains(next)) yield break;
            yield return next;
            if (step + 1 == maxNewTokens || session.Position >= context) yield break;
            step1[0] = next;
        }
    }

    /// <summary>Prompt plus continuation as text, the way the CLI prints it (control bytes dropped: <see cref="VisibleText"/>).</summary>
    public static string GenerateText(IDecoderModel model, ITokenizer tokenizer, string prompt, int maxNewTokens, SamplingOptions sampling)
    {
        var promptTokens = tokenizer.Encode(prompt, addBos: true);
        var generated = GenerateTokens(model, promptTokens, maxNewTokens, sampling, tokenizer.EosId).ToList();
        return VisibleText.Of(tokenizer.Decode(promptTokens.Concat(generated).ToList()));
    }
}
