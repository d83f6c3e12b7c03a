using System.Text;
using System.Text.Json;

namespace Adapters.Core.Tests.Tokenizers;

/// <summary>
/// A small Hugging Face BPE encoder over a written tokenizer.json: normalizer (prepend '▁',
/// spaces → '▁'), one symbol per code point with byte fallback, then repeatedly the adjacent pair
/// with the lowest merge rank (leftmost on ties) is merged. Enough to check the derived merges.
/// </summary>
sealed class HfBpeReference
{
    readonly Dictionary<string, int> _vocab = new(StringComparer.Ordinal);
    readonly Dictionary<(string, string), int> _ranks = new();

    public HfBpeReference(string tokenizerJsonPath)
    {
        using var doc = JsonDocument.Parse(File.ReadAllBytes(tokenizerJsonPath));
        var model = doc.RootElement.GetProperty("model");
        foreach (var entry in model.GetProperty("vocab").EnumerateObject()) _vocab[entry.Name] = entry.Value.GetInt32();
        int rank = 0;
        foreach (var merge in model.GetProperty("merges").EnumerateArray())
        {
            string[] parts = merge.GetString()!.Split(' ');
            _ranks.TryAdd((parts[0], parts[1]), rank++);
        }
    }

    public int MergeCount => _ranks.Count;

    public List<int> Encode(string text)
    {
        if (text.Length == 0) return [];
        string normalized = "\u2581" + text.Replace(" ", "\u2581");
        var symbols = new List<string>();
        foreach (var rune in normalized.EnumerateRunes())
        {
            string s = rune.ToString();
            if (_vocab.ContainsKey(s)) symbols.Add(s);
            else foreach (byte b in Encoding.UTF8.GetBytes(s)) symbols.Add($"<0x{b:X2}>");
        }
        while (true)
        {
            int best = -1, bestRank = int.MaxValue;
            for (int i = 0; i + 1 < symbols.Count; i++)
                if (_ranks.TryGetValue((symbols[i], symbols[i + 1]), out int r) && r < bestRank) { bestRank = r; best = i; }
            if (best < 0) break;
            symbols[best] += symbols[best + 1];
            symbols.RemoveAt(best + 1);
        }
        return symbols.Select(s => _vocab[s]).ToList();
    }
}
