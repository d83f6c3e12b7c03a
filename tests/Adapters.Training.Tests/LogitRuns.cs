using Adapters.Core.Generation;
using Adapters.Core.Model;
using Adapters.TestSupport;

namespace Adapters.Training.Tests;

/// <summary>
/// Runs a prompt plus greedy decode steps through the reference and through an engine session,
/// feeding both the same tokens (the reference's greedy choices), and compares the logits.
/// </summary>
static class LogitRuns
{
    /// <summary>Logits per fed position (prompt then decode steps) and the tokens fed.</summary>
    public sealed record Run(IReadOnlyList<int> Tokens, IReadOnlyList<float[]> Logits);

    public static Run Reference(LlamaWeights weights, IReadOnlyList<int> prompt, int decodeSteps)
    {
        var reference = new ReferenceLlama(weights);
        var tokens = new List<int>(prompt);
        var logits = prompt.Select(reference.Step).ToList();
        for (int step = 0; step < decodeSteps; step++)
        {
            int next = Sampler.ArgMax(logits[^1]);
            tokens.Add(next);
            logits.Add(reference.Step(next));
        }
        return new Run(tokens, logits);
    }

    /// <summary>Feeds the first <paramref name="promptLength"/> tokens as one prefill, the rest one at a time.</summary>
    public static IReadOnlyList<float[]> Session(IDecoderSession session, IReadOnlyList<int> tokens, int promptLength)
    {
        int vocab = session.Config.VocabSize;
        var rows = Split(session.Forward(tokens.Take(promptLength).ToArray()), vocab).ToList();
        foreach (int token in tokens.Skip(promptLength))
            rows.AddRange(Split(session.Forward([token]), vocab));
        return rows;
    }

    public static IEnumerable<float[]> Split(float[] flat, int vocab)
    {
        Assert.Equal(0, flat.Length % vocab);
        for (int offset = 0; offset < flat.Length; offset += vocab)
            yield return flat.AsSpan(offset, vocab).ToArray();
    }

    public static float MaxAbsDifference(IReadOnlyList<float[]> expected, IReadOnlyList<float[]> actual)
    {
        Assert.Equal(expected.Count, actual.Count);
        float max = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            Assert.Equal(expected[i].Length, actual[i].Length);
            for (int j = 0; j < expected[i].Length; j++)
                max = Math.Max(max, Math.Abs(expected[i][j] - actual[i][j]));
        }
        return max;
    }
}
