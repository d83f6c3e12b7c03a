using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.ML.Tokenizers;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// tokenizer.json's "pre_tokenizer": cuts normalized text into the words that BPE encodes one by one.
/// Split with a regex uses Microsoft.ML.Tokenizers' <see cref="RegexPreTokenizer"/> for the matches
/// (the text between matches is kept as words too, Hugging Face's "Isolated" behaviour); ByteLevel
/// (spelling each word's UTF-8 bytes in GPT-2's alphabet, optionally splitting with GPT-2's regex)
/// and Sequence are written here. Other types and behaviours are refused, naming them.
/// </summary>
internal sealed class HfPreTokenizer
{
    public const string Supported = "Split (behavior Isolated), ByteLevel, Sequence";

    /// <summary>GPT-2's split, what ByteLevel applies when its use_regex is true.</summary>
    const string Gpt2Pattern = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    readonly List<Func<string, IEnumerable<string>>> _steps;

    HfPreTokenizer(List<Func<string, IEnumerable<string>>> steps, bool byteLevel)
    {
        _steps = steps;
        ByteLevel = byteLevel;
    }

    /// <summary>True when words come out spelled in <see cref="ByteLevelAlphabet"/>.</summary>
    public bool ByteLevel { get; }

    public static HfPreTokenizer Create(JsonElement root, HfJson json)
    {
        var steps = new List<Func<string, IEnumerable<string>>>();
        bool byteLevel = false;
        if (HfJson.TryGet(root, "pre_tokenizer", out var pre)) Add(pre, json, "pre_tokenizer", steps, ref byteLevel);
        return new HfPreTokenizer(steps, byteLevel);
    }

    /// <summary>The words of one piece of normalized text (never empty strings).</summary>
    public IEnumerable<string> Words(string text)
    {
        IEnumerable<string> words = [text];
        foreach (var step in _steps) words = words.SelectMany(step).ToList();
        return words.Where(w => w.Length > 0);
    }

    static void Add(JsonElement pre, HfJson json, string at, List<Func<string, IEnumerable<string>>> steps, ref bool byteLevel)
    {
        string type = json.TypeOf(pre, at);
        switch (type)
        {
            case "Sequence":
                int i = 0;
                foreach (var step in json.Array(pre, "pretokenizers", at).EnumerateArray())
                    Add(step, json, $"{at}.pretokenizers[{i++}]", steps, ref byteLevel);
                return;
            case "Split":
                string behavior = json.String(pre, "behavior", at);
                if (behavior != "Isolated") throw json.Unsupported($"{at}.behavior", $"Split behavior \"{behavior}\"", "Isolated");
                if (json.Bool(pre, "invert", at, false)) throw json.Error($"{at}.invert", "true is not supported");
                var splitter = new RegexPreTokenizer(json.Pattern(pre, "pattern", at), specialTokens: null);
                steps.Add(s => Isolated(splitter, s));
                return;
            case "ByteLevel":
                if (byteLevel) throw json.Error(at, "a second ByteLevel pre-tokenizer would spell the bytes twice");
                byteLevel = true;
                bool addPrefixSpace = json.Bool(pre, "add_prefix_space", at, true);
                if (json.Bool(pre, "use_regex", at, true))
                {
                    var gpt2 = new RegexPreTokenizer(new Regex(Gpt2Pattern, RegexOptions.CultureInvariant | RegexOptions.Compiled), specialTokens: null);
                    steps.Add(s => Isolated(gpt2, addPrefixSpace && !s.StartsWith(' ') ? " " + s : s).Select(ByteLevelAlphabet.Encode));
                }
                else
                    steps.Add(s => [ByteLevelAlphabet.Encode(addPrefixSpace && !s.StartsWith(' ') ? " " + s : s)]);
                return;
            default:
                throw json.Unsupported($"{at}.type", $"pre_tokenizer type \"{type}\"", Supported);
        }
    }

    /// <summary>Every regex match is a word, and so is each stretch of text between matches.</summary>
    static IEnumerable<string> Isolated(RegexPreTokenizer splitter, string text)
    {
        var words = new List<string>();
        int end = 0;
        foreach (var (offset, length) in splitter.PreTokenize(text))
        {
            if (offset > end) words.Add(text[end..offset]);
            if (length > 0) words.Add(text.Substring(offset, length));
            end = offset + length;
        }
        if (end < text.Length) words.Add(text[end..]);
        return words;
    }
}
