using Adapters.Core.Generation;

namespace Adapters.Bench.Quality;

/// <summary>Engine-independent scores of a decoder: held-out perplexity and greedy agreement with another model.</summary>
public static class LanguageModelScores
{
    /// <summary>
    /// exp(mean negative log-likelihood) of every token after the first of each sequence (BOS
    /// predicts nothing), each sequence run as one prefill; log-softmax in double.
    /// </summary>
    public static double Perplexity(IDecoderModel model, IReadOnlyList<IReadOnlyList<int>> sequences)
    {
        double nll = 0;
        long count = 0;
        int vocab = model.Config.VocabSize;
        foreach (var sequence in sequences)
        {
            if (sequence.Count < 2) continue;
            if (sequence.Count > model.Config.MaxSeqLen)
                throw new ArgumentException($"a held-out line has {sequence.Count} tokens, more than the model's context of {model.Config.MaxSeqLen}; split it");
            using var session = model.StartSession();
            float[] logits = session.Forward(sequence.ToArray());
            for (int i = 0; i + 1 < sequence.Count; i++)
            {
                var row = logits.AsSpan(i * vocab, vocab);
                nll += LogSumExp(row) - row[sequence[i + 1]];
                count++;
            }
        }
        if (count == 0) throw new ArgumentException("the held-out text has no token to predict");
        return Math.Exp(nll / count);
    }

    /// <summary><paramref name="count"/> greedy tokens after <paramref name="prompt"/>, never stopping at EOS (the comparison needs a fixed length).</summary>
    public static int[] Greedy(IDecoderModel model, IReadOnlyList<int> prompt, int count)
    {
        using var session = model.StartSession();
        int vocab = model.Config.VocabSize;
        float[] logits = session.Forward(prompt.ToArray());
        var tokens = new int[count];
        for (int i = 0; i < count; i++)
        {
            tokens[i] = Sampler.ArgMax(logits.AsSpan(logits.Length - vocab, vocab));
            if (i + 1 < count) logits = session.Forward([tokens[i]]);
        }
        return tokens;
    }

    /// <summary>
    /// Teacher-forced top-1 agreement: <paramref name="model"/> prefills <paramref name="prompt"/>, then
    /// is fed <paramref name="reference"/> (another model's greedy tokens) one decode step at a time
    /// (so prompt-position adapters such as ReFT see the same prompt as when generating); the fraction
    /// of steps where its argmax is the reference's next token. Free-running agreement would stop
    /// meaning anything after the first difference.
    /// </summary>
    public static double Agreement(IDecoderModel model, IReadOnlyList<int> prompt, IReadOnlyList<int> reference)
    {
        using var session = model.StartSession();
        int vocab = model.Config.VocabSize;
        float[] logits = session.Forward(prompt.ToArray());
        int agree = 0;
        for (int i = 0; i < reference.Count; i++)
        {
            if (Sampler.ArgMax(logits.AsSpan(logits.Length - vocab, vocab)) == reference[i]) agree++;
            if (i + 1 < reference.Count) logits = session.Forward([reference[i]]);
        }
        return (double)agree / reference.Count;
    }

    /// <summary>Length of the common prefix of two token sequences (free-running greedy: tokens until the first difference).</summary>
    public static int CommonPrefix(IReadOnlyList<int> a, IReadOnlyList<int> b)
    {
        int n = 0;
        while (n < a.Count && n < b.Count && a[n] == b[n]) n++;
        return n;
    }

    static double LogSumExp(ReadOnlySpan<float> row)
    {
        double max = double.NegativeInfinity;
        foreach (float v in row) max = Math.Max(max, v);
        double sum = 0;
        foreach (float v in row) sum += Math.Exp(v - max);
        return max + Math.Log(sum);
    }
}
