using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// tokenizer.json's "decoder": token strings → text, each step mapping a list of strings to a list
/// (Hugging Face's decode_chain). Written here because Microsoft.ML.Tokenizers has no configurable
/// decoders: ByteLevel, Replace, ByteFallback, Fuse, Strip and Sequence. Others are refused.
/// </summary>
internal sealed class HfDecoder
{
    public const string Supported = "ByteLevel, Replace, ByteFallback, Fuse, Strip, Sequence";

    readonly List<Func<List<string>, ISet<string>, List<string>>> _steps;

    HfDecoder(List<Func<List<string>, ISet<string>, List<string>>> steps) => _steps = steps;

    public static HfDecoder Create(JsonElement root, HfJson json)
    {
        var steps = new List<Func<List<string>, ISet<string>, List<string>>>();
        if (HfJson.TryGet(root, "decoder", out var decoder)) Add(decoder, json, "decoder", steps);
        return new HfDecoder(steps);
    }

    /// <summary>Joins the tokens; <paramref name="addedTokens"/> pass through ByteLevel as written.</summary>
    public string Decode(List<string> tokens, ISet<string> addedTokens)
    {
        if (_steps.Count == 0) return string.Join(" ", tokens); // Hugging Face's default with no decoder
        foreach (var step in _steps) tokens = step(tokens, addedTokens);
        return string.Concat(tokens);
    }

    static void Add(JsonElement decoder, HfJson json, string at, List<Func<List<string>, ISet<string>, List<string>>> steps)
    {
        string type = json.TypeOf(decoder, at);
        switch (type)
        {
            case "Sequence":
                int i = 0;
                foreach (var step in json.Array(decoder, "decoders", at).EnumerateArray())
                    Add(step, json, $"{at}.decoders[{i++}]", steps);
                return;
            case "ByteLevel": steps.Add(ByteLevel); return;
            case "ByteFallback": steps.Add((tokens, _) => ByteFallback(tokens)); return;
            case "Fuse": steps.Add((tokens, _) => [string.Concat(tokens)]); return;
            case "Replace":
                Regex pattern = json.Pattern(decoder, "pattern", at);
                string content = json.String(decoder, "content", at).Replace("$", "$$", StringComparison.Ordinal);
                steps.Add((tokens, _) => tokens.Select(t => pattern.Replace(t, content)).ToList());
                return;
            case "Strip":
                string strip = json.String(decoder, "content", at);
                if (strip.Length != 1) throw json.Error($"{at}.content", $"expected one character, got \"{strip}\"");
                int start = json.Int(decoder, "start", at, 0), stop = json.Int(decoder, "stop", at, 0);
                steps.Add((tokens, _) => tokens.Select(t => Strip(t, strip[0], start, stop)).ToList());
                return;
            default:
                throw json.Unsupported($"{at}.type", $"decoder type \"{type}\"", Supported);
        }
    }

    /// <summary>Runs of byte-level tokens become their UTF-8 text (a broken sequence gives U+FFFD); added tokens stay as written.</summary>
    static List<string> ByteLevel(List<string> tokens, ISet<string> addedTokens)
    {
        var result = new List<string>();
        var bytes = new List<byte>();
        void FlushBytes()
        {
            if (bytes.Count == 0) return;
            result.Add(Encoding.UTF8.GetString(bytes.ToArray()));
            bytes.Clear();
        }
        foreach (string token in tokens)
        {
            if (!addedTokens.Contains(token) && ByteLevelAlphabet.TryAppendBytes(token, bytes)) continue;
            FlushBytes();
            result.Add(token);
        }
        FlushBytes();
        return result;
    }

    /// <summary>Runs of &lt;0xNN&gt; tokens become their UTF-8 text.</summary>
    static List<string> ByteFallback(List<string> tokens)
    {
        var result = new List<string>();
        var bytes = new List<byte>();
        foreach (string token in tokens)
        {
            if (token.Length == 6 && token.StartsWith("<0x", StringComparison.Ordinal) && token[5] == '>'
                && byte.TryParse(token.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out byte b))
            {
                bytes.Add(b);
                continue;
            }
            if (bytes.Count > 0) { result.Add(Encoding.UTF8.GetString(bytes.ToArray())); bytes.Clear(); }
            result.Add(token);
        }
        if (bytes.Count > 0) result.Add(Encoding.UTF8.GetString(bytes.ToArray()));
        return result;
    }

    /// <summary>Removes up to <paramref name="start"/> leading and <paramref name="stop"/> trailing <paramref name="c"/>.</summary>
    static string Strip(string token, char c, int start, int stop)
    {
        int from = 0;
        while (from < start && from < token.Length && token[from] == c) from++;
        int to = token.Length;
        while (token.Length - to < stop && to > from && token[to - 1] == c) to--;
        return token[from..to];
    }
}
