using System.Text;
using Adapters.Core.Tokenizers;

namespace Adapters.Training.Tests.Support;

/// <summary>
/// TEST SUPPORT ONLY: a minimal llama2.c tokenizer (tokenizer.bin format, greedy score-driven
/// BPE with a dummy-prefix space and byte fallback &lt;0xNN&gt; = id 3 + byte), enough to turn
/// the task data into stories260K token ids before core's real tokenizer is merged. Not a
/// reference implementation: no special-token handling, no UTF-8 validation.
/// </summary>
sealed class Tok512TestTokenizer : ITokenizer
{
    const int ByteFallbackOffset = 3; // llama2.c: <0x00> is id 3
    readonly string[] _pieces;
    readonly float[] _scores;
    readonly Dictionary<string, int> _ids = new(StringComparer.Ordinal);

    public Tok512TestTokenizer(string path, int vocabSize)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        reader.ReadInt32(); // max token length
        _pieces = new string[vocabSize];
        _scores = new float[vocabSize];
        for (int i = 0; i < vocabSize; i++)
        {
            _scores[i] = reader.ReadSingle();
            int length = reader.ReadInt32();
            _pieces[i] = Encoding.UTF8.GetString(reader.ReadBytes(length));
            _ids.TryAdd(_pieces[i], i);
        }
    }

    public static Tok512TestTokenizer Stories260K() => new(Adapters.TestSupport.SharedModels.Tok512, vocabSize: 512);

    public int VocabSize => _pieces.Length;
    public int BosId => 1;
    public int EosId => 2;

    public IReadOnlyList<int> Encode(string text, bool addBos = true, bool addEos = false)
    {
        var tokens = new List<int>();
        if (addBos) tokens.Add(BosId);
        if (text.Length > 0)
        {
            var symbols = new List<int> { _ids[" "] };
            foreach (var rune in text.EnumerateRunes())
            {
                string s = rune.ToString();
                if (_ids.TryGetValue(s, out int id)) symbols.Add(id);
                else foreach (byte b in Encoding.UTF8.GetBytes(s)) symbols.Add(b + ByteFallbackOffset);
            }
            while (true)
            {
                int best = -1, bestId = -1;
                float bestScore = float.NegativeInfinity;
                for (int i = 0; i + 1 < symbols.Count; i++)
                    if (_ids.TryGetValue(_pieces[symbols[i]] + _pieces[symbols[i + 1]], out int merged) && _scores[merged] > bestScore)
                        (best, bestId, bestScore) = (i, merged, _scores[merged]);
                if (best < 0) break;
                symbols[best] = bestId;
                symbols.RemoveAt(best + 1);
            }
            tokens.AddRange(symbols);
        }
        if (addEos) tokens.Add(EosId);
        return tokens;
    }

    public string Decode(IReadOnlyList<int> ids)
    {
        var bytes = new List<byte>();
        bool first = true;
        foreach (int id in ids)
        {
            if (id == BosId || id == EosId) continue;
            string piece = _pieces[id];
            if (piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece.EndsWith('>'))
                bytes.Add(Convert.ToByte(piece.Substring(3, 2), 16));
            else bytes.AddRange(Encoding.UTF8.GetBytes(first && piece.StartsWith(' ') ? piece[1..] : piece));
            first = false;
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
