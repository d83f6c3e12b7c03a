using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.ML.Tokenizers;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// tokenizer.json's "model" of type BPE. The merges run in Microsoft.ML.Tokenizers'
/// <see cref="BpeTokenizer"/> (rank-ordered merges with a priority queue, and its own cache of
/// words), one word at a time. Written here because the library lacks them: ignore_merges (a word
/// that is itself in the vocabulary is one token, as Llama 3 wants) and byte_fallback (a character
/// missing from the vocabulary becomes its UTF-8 bytes as &lt;0xNN&gt; tokens, as Mistral wants).
/// </summary>
internal sealed class HfBpeModel
{
    readonly BpeTokenizer _bpe;
    readonly Dictionary<string, int> _vocab;
    readonly int? _unkId;
    readonly bool _fuseUnk;
    readonly int[]? _byteIds; // <0x00>..<0xFF> when byte_fallback is on

    HfBpeModel(BpeTokenizer bpe, Dictionary<string, int> vocab, int? unkId, bool fuseUnk, int[]? byteIds, bool ignoreMerges)
    {
        _bpe = bpe;
        _vocab = vocab;
        _unkId = unkId;
        _fuseUnk = fuseUnk;
        _byteIds = byteIds;
        IgnoreMerges = ignoreMerges;
    }

    public bool IgnoreMerges { get; }
    public bool ByteFallback => _byteIds is not null;
    public IReadOnlyDictionary<string, int> Vocab => _vocab;

    public static HfBpeModel Create(JsonElement root, HfJson json, bool byteLevel)
    {
        var model = json.Object(root, "model", "");
        string type = json.OptionalString(model, "type", "model") ?? "BPE";
        if (type != "BPE") throw json.Unsupported("model.type", $"model type \"{type}\"", "BPE");
        if (HfJson.TryGet(model, "dropout", out var dropout) && !(dropout.ValueKind == JsonValueKind.Number && dropout.GetDouble() == 0))
            throw json.Error("model.dropout", $"BPE dropout {dropout.GetRawText()} is not supported (encoding must be deterministic)");
        foreach (string affix in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (json.OptionalString(model, affix, "model") is { Length: > 0 } value)
                throw json.Error($"model.{affix}", $"\"{value}\" is not supported (only byte-level and SentencePiece-style BPE)");

        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var entry in json.Object(model, "vocab", "model").EnumerateObject())
            vocab[entry.Name] = json.AsInt(entry.Value, $"model.vocab[\"{entry.Name}\"]") is var id and >= 0
                ? id : throw json.Error($"model.vocab[\"{entry.Name}\"]", "ids must not be negative");
        if (vocab.Count == 0) throw json.Error("model.vocab", "empty");

        var merges = Merges(model, json, vocab);
        string? unk = json.OptionalString(model, "unk_token", "model");
        int? unkId = null;
        if (unk is not null)
            unkId = vocab.TryGetValue(unk, out int u) ? u : throw json.Error("model.unk_token", $"\"{unk}\" is not in model.vocab");
        if (byteLevel)
        {
            var missing = ByteLevelAlphabet.CharOfByte.Where(c => !vocab.ContainsKey(c.ToString())).ToList();
            if (missing.Count > 0)
                throw json.Error("model.vocab", $"a ByteLevel pre-tokenizer needs all 256 byte characters in the vocabulary; {missing.Count} are missing (first '{missing[0]}')");
        }
        int[]? byteIds = null;
        if (json.Bool(model, "byte_fallback", "model", false))
        {
            byteIds = new int[256];
            for (int b = 0; b < 256; b++)
                byteIds[b] = vocab.TryGetValue(BytePiece(b), out int id) ? id
                    : throw json.Error("model.byte_fallback", $"true, but the vocabulary has no {BytePiece(b)} token");
        }

        BpeTokenizer bpe;
        try
        {
            bpe = BpeTokenizer.Create(new BpeOptions(vocab)
            {
                Merges = merges,
                PreTokenizer = WholeTextPreTokenizer.Instance, // words are cut before they get here
                ByteLevel = false, // byte-level words arrive already spelled in the byte alphabet
            });
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException or FormatException or KeyNotFoundException)
        {
            throw json.Error("model", $"Microsoft.ML.Tokenizers cannot build this BPE model: {e.Message}");
        }
        return new HfBpeModel(bpe, vocab, unkId, json.Bool(model, "fuse_unk", "model", false), byteIds, json.Bool(model, "ignore_merges", "model", false));
    }

    /// <summary>Appends the ids of one pre-tokenized word.</summary>
    public void Encode(string word, List<int> ids)
    {
        if (IgnoreMerges && _vocab.TryGetValue(word, out int whole)) { ids.Add(whole); return; }

        // Runs of characters in the vocabulary go through BPE; the others fall back to bytes or <unk>.
        int runStart = 0;
        bool previousUnknown = false;
        for (int i = 0; i < word.Length;)
        {
            int width = char.IsHighSurrogate(word[i]) && i + 1 < word.Length && char.IsLowSurrogate(word[i + 1]) ? 2 : 1;
            if (_vocab.ContainsKey(word.Substring(i, width))) { i += width; previousUnknown = false; continue; }
            if (i > runStart) ids.AddRange(_bpe.EncodeToIds(word[runStart..i]));
            if (_byteIds is not null)
                foreach (byte b in Encoding.UTF8.GetBytes(word.Substring(i, width))) ids.Add(_byteIds[b]);
            else if (_unkId is int unk && !(_fuseUnk && previousUnknown && ids.Count > 0 && ids[^1] == unk)) ids.Add(unk);
            // With neither, Hugging Face drops the character; so do we.
            previousUnknown = _byteIds is null;
            i += width;
            runStart = i;
        }
        if (runStart < word.Length) ids.AddRange(_bpe.EncodeToIds(runStart == 0 ? word : word[runStart..]));
    }

    public static string BytePiece(int b) => string.Create(CultureInfo.InvariantCulture, $"<0x{b:X2}>");

    /// <summary>"a b" strings or ["a", "b"] pairs; Microsoft.ML.Tokenizers takes "a b" lines.</summary>
    static List<string> Merges(JsonElement model, HfJson json, Dictionary<string, int> vocab)
    {
        var merges = new List<string>();
        if (!HfJson.TryGet(model, "merges", out _)) return merges;
        int i = 0;
        foreach (var merge in json.Array(model, "merges", "model").EnumerateArray())
        {
            string field = $"model.merges[{i++}]";
            string left, right;
            if (merge.ValueKind == JsonValueKind.String)
            {
                string line = merge.GetString()!;
                int space = line.IndexOf(' ');
                if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
                    throw json.Error(field, $"expected \"left right\", got \"{line}\"");
                (left, right) = (line[..space], line[(space + 1)..]);
            }
            else if (merge.ValueKind == JsonValueKind.Array && merge.GetArrayLength() == 2)
            {
                left = json.AsString(merge[0], field + "[0]");
                right = json.AsString(merge[1], field + "[1]");
                if (left.Contains(' ') || right.Contains(' '))
                    throw json.Error(field, "a merge of pieces holding a space is not supported (Microsoft.ML.Tokenizers reads merges as \"left right\" lines)");
            }
            else throw json.Error(field, $"expected \"left right\" or [left, right], got {HfJson.Describe(merge)}");
            if (!vocab.ContainsKey(left) || !vocab.ContainsKey(right) || !vocab.ContainsKey(left + right))
                throw json.Error(field, $"merge \"{left}\" + \"{right}\" uses or makes a piece that is not in model.vocab");
            merges.Add(left + " " + right);
        }
        return merges;
    }
}
