using System.Text;
using Adapters.Core.Tokenizers;

namespace Adapters.Core.Tests.Tokenizers;

/// <summary>
/// A direct transcription of llama2.c run.c's encode() (rescan all pairs after every merge), used
/// to check the priority-queue implementation. Without BOS/EOS.
/// </summary>
static class RunCEncodeReference
{
    public static List<int> Encode(Llama2cTokenizer t, string text)
    {
        var lookup = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < t.VocabSize; i++) lookup.TryAdd(t.Pieces[i], i);
        var tokens = new List<int>();
        if (text.Length == 0) return tokens;
        tokens.Add(lookup[" "]);
        foreach (var rune in text.EnumerateRunes())
        {
            if (lookup.TryGetValue(rune.ToString(), out int id)) tokens.Add(id);
            else foreach (byte b in Encoding.UTF8.GetBytes(rune.ToString())) tokens.Add(b + 3);
        }
        while (true)
        {
            float bestScore = -1e10f;
            int bestId = -1, bestIdx = -1;
            for (int i = 0; i < tokens.Count - 1; i++)
                if (lookup.TryGetValue(t.Pieces[tokens[i]] + t.Pieces[tokens[i + 1]], out int id) && t.Scores[id] > bestScore)
                {
                    bestScore = t.Scores[id];
                    bestId = id;
                    bestIdx = i;
                }
            if (bestIdx == -1) break;
            tokens[bestIdx] = bestId;
            tokens.RemoveAt(bestIdx + 1);
        }
        return tokens;
    }
}
