using System.Text.Json;
using Adapters.Core.IO;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// A Hugging Face tokenizer.json (with the tokenizer_config.json beside it, when there is one):
/// byte-level BPE (Llama 3, Qwen2/3: Split regex, NFC, ByteLevel) and SentencePiece-style BPE
/// (Mistral, TinyLlama: '▁' Prepend/Replace normalizer, byte fallback, Replace/ByteFallback/Fuse/Strip
/// decoder). Encoding follows Hugging Face: added tokens are cut out of the raw text first, the rest
/// is normalized, pre-tokenized and BPE-encoded word by word, then the post-processor's special
/// tokens are put around it. Components it does not implement are refused when loading, naming them.
/// </summary>
public sealed class HfTokenizer : ITokenizer
{
    public const string FileName = "tokenizer.json";

    /// <summary>Largest tokenizer.json we read: Qwen3's is 11 MB, Gemma's 256k vocabulary about 35 MB.</summary>
    const long MaxBytes = 256L << 20;

    /// <summary>
    /// Tokens that end a turn in the published generation_config.json of the families we serve:
    /// Llama 3's eos_token_id [&lt;|end_of_text|&gt;, &lt;|eom_id|&gt;, &lt;|eot_id|&gt;] and Qwen2/3's
    /// [&lt;|im_end|&gt;, &lt;|endoftext|&gt;]. Those present as special tokens stop generation like EOS.
    /// </summary>
    public static readonly IReadOnlyList<string> KnownEndOfTurnTokens = ["<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "<|im_end|>", "<|endoftext|>"];

    readonly Func<string, string>? _normalizer;
    readonly HfPreTokenizer _preTokenizer;
    readonly HfBpeModel _model;
    readonly HfPostProcessor _postProcessor;
    readonly HfDecoder _decoder;
    readonly HfAddedTokenSplitter _rawSplitter, _normalizedSplitter;
    readonly Dictionary<string, HfAddedToken> _added;
    readonly HashSet<string> _addedContents;
    readonly HashSet<int> _specialIds;
    readonly string?[] _tokenOf;

    HfTokenizer(string source, HfTokenizerConfig config, Func<string, string>? normalizer, HfPreTokenizer preTokenizer,
        HfBpeModel model, IReadOnlyList<HfAddedToken> added, Func<HfTokenizer, HfPostProcessor> postProcessor, HfDecoder decoder)
    {
        Source = source;
        Config = config;
        _normalizer = normalizer;
        _preTokenizer = preTokenizer;
        _model = model;
        _decoder = decoder;
        _added = new Dictionary<string, HfAddedToken>(StringComparer.Ordinal);
        foreach (var token in added) _added[token.Content] = token;
        _addedContents = [.. _added.Keys];
        _rawSplitter = new HfAddedTokenSplitter(added.Where(t => !t.Normalized || normalizer is null));
        _normalizedSplitter = new HfAddedTokenSplitter(added.Where(t => t.Normalized && normalizer is not null)
            .Select(t => t with { Content = normalizer!(t.Content) }).Where(t => t.Content.Length > 0));

        VocabSize = Math.Max(model.Vocab.Values.Max(), added.Count == 0 ? -1 : added.Max(t => t.Id)) + 1;
        _tokenOf = new string?[VocabSize];
        foreach (var (piece, id) in model.Vocab) _tokenOf[id] = piece;
        foreach (var token in added) _tokenOf[token.Id] = token.Content;

        _specialIds = [.. added.Where(t => t.Special).Select(t => t.Id)];
        foreach (string extra in config.AdditionalSpecialTokens)
            if (TokenId(extra) is int id) _specialIds.Add(id);

        BosId = config.BosToken is { } bos ? TokenId(bos) ?? -1 : -1;
        EosId = config.EosToken is { } eos ? TokenId(eos) ?? -1 : -1;
        var stops = new List<int>();
        if (EosId >= 0) stops.Add(EosId);
        foreach (string name in KnownEndOfTurnTokens)
            if (_added.TryGetValue(name, out var t) && t.Special && !stops.Contains(t.Id)) stops.Add(t.Id);
        EndOfTurnIds = stops;
        _postProcessor = postProcessor(this);
    }

    /// <summary>Reads a tokenizer.json and the tokenizer_config.json beside it (if any).</summary>
    /// <param name="expectedVocabSize">The model's embedding rows: a tokenizer with ids beyond them is refused
    /// (a smaller tokenizer is fine: Qwen pads its embedding to a multiple of 128).</param>
    /// <exception cref="InvalidFileException">Missing or malformed files, unsupported components, or too many tokens.</exception>
    public static HfTokenizer Load(string path, int? expectedVocabSize = null)
    {
        var config = HfTokenizerConfig.LoadBeside(path);
        using var doc = HfJson.Parse(path, HfJson.ReadText(path, MaxBytes));
        var json = new HfJson(path);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw json.Error("(root)", $"expected an object, got {HfJson.Describe(root)}");
        if (!root.TryGetProperty("model", out _))
            throw json.Error("model", root.TryGetProperty("tokenizer_class", out _) || root.TryGetProperty("chat_template", out _)
                ? "missing: this looks like tokenizer_config.json; pass tokenizer.json or its folder"
                : "missing: not a Hugging Face tokenizer.json");
        if (HfJson.TryGet(root, "truncation", out _)) throw json.Error("truncation", "is set; truncation is not supported (the caller limits lengths)");
        if (HfJson.TryGet(root, "padding", out _)) throw json.Error("padding", "is set; padding is not supported (the caller batches)");

        var normalizer = HfNormalizer.Create(root, json);
        var preTokenizer = HfPreTokenizer.Create(root, json);
        var model = HfBpeModel.Create(root, json, preTokenizer.ByteLevel);
        var added = AddedTokens(root, json);
        var decoder = HfDecoder.Create(root, json);
        var tokenizer = new HfTokenizer(path, config, normalizer, preTokenizer, model, added,
            t => HfPostProcessor.Create(root, json, config, t.TokenId), decoder);

        if (expectedVocabSize is int rows && tokenizer.VocabSize > rows)
            throw new InvalidFileException(path,
                $"vocab size mismatch: the tokenizer has ids up to {tokenizer.VocabSize - 1} ({tokenizer.VocabSize} tokens) but the model's embedding has only {rows} rows (vocab_size {rows})");
        return tokenizer;
    }

    public TokenizerKind Kind => TokenizerKind.HuggingFace;
    public string Source { get; }

    /// <summary>tokenizer_config.json's contents (<see cref="HfTokenizerConfig.Empty"/> without one), e.g. its chat_template.</summary>
    public HfTokenizerConfig Config { get; }

    /// <summary>The raw Jinja chat template of tokenizer_config.json, or null.</summary>
    public string? ChatTemplate => Config.ChatTemplate;

    /// <summary>Highest id + 1 over the vocabulary and the added tokens.</summary>
    public int VocabSize { get; }

    /// <summary>tokenizer_config.json's bos_token, or -1 (Qwen has none).</summary>
    public int BosId { get; }

    /// <summary>tokenizer_config.json's eos_token, or -1.</summary>
    public int EosId { get; }

    public IReadOnlyList<int> EndOfTurnIds { get; }

    /// <summary>The special tokens that encoding with special tokens puts before and after the text.</summary>
    public IReadOnlyList<int> SpecialPrefix => _postProcessor.Prefix;
    public IReadOnlyList<int> SpecialSuffix => _postProcessor.Suffix;

    public int? TokenId(string token) =>
        _added.TryGetValue(token, out var added) ? added.Id : _model.Vocab.TryGetValue(token, out int id) ? id : null;

    /// <summary>The token string of an id (vocabulary spelling, e.g. "Ġworld"), or null.</summary>
    public string? TokenOf(int id) => (uint)id < (uint)_tokenOf.Length ? _tokenOf[id] : null;

    /// <summary>
    /// <paramref name="addBos"/> adds the special tokens the tokenizer's files ask for (Hugging Face's
    /// add_special_tokens: Mistral's &lt;s&gt;, nothing for Qwen); <paramref name="addEos"/> appends EOS
    /// unless those special tokens already end with it.
    /// </summary>
    public IReadOnlyList<int> Encode(string text, bool addBos = true, bool addEos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length / 3 + 4);
        if (addBos) ids.AddRange(_postProcessor.Prefix);
        foreach (var section in _rawSplitter.Split(text))
        {
            if (section.Token is { } token) { ids.Add(token.Id); continue; }
            string normalized = _normalizer is null ? section.Text : _normalizer(section.Text);
            foreach (var sub in _normalizedSplitter.Split(normalized))
            {
                if (sub.Token is { } normalizedToken) { ids.Add(normalizedToken.Id); continue; }
                foreach (string word in _preTokenizer.Words(sub.Text)) _model.Encode(word, ids);
            }
        }
        if (addBos) ids.AddRange(_postProcessor.Suffix);
        if (addEos)
        {
            if (EosId < 0) throw new InvalidOperationException($"{Source}: cannot append EOS: {HfTokenizerConfig.FileName} names no eos_token");
            if (!(addBos && _postProcessor.Suffix.Count > 0 && _postProcessor.Suffix[^1] == EosId)) ids.Add(EosId);
        }
        return ids;
    }

    /// <summary>Decodes without special tokens (BOS, EOS, &lt;|im_end|&gt; ...), as generated text is shown.</summary>
    public string Decode(IReadOnlyList<int> ids) => Decode(ids, skipSpecialTokens: true);

    /// <summary>
    /// Hugging Face's decode: ids without a token are skipped, special tokens too when asked, the
    /// decoder joins the rest, and clean_up_tokenization_spaces (when the config says so) removes
    /// the space before punctuation and contractions.
    /// </summary>
    public string Decode(IReadOnlyList<int> ids, bool skipSpecialTokens)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var tokens = new List<string>(ids.Count);
        foreach (int id in ids)
        {
            if (id < 0) throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is negative");
            if (TokenOf(id) is not { } token) continue;
            if (skipSpecialTokens && _specialIds.Contains(id)) continue;
            tokens.Add(token);
        }
        string text = _decoder.Decode(tokens, _addedContents);
        return Config.CleanUpTokenizationSpaces ? CleanUpTokenizationSpaces(text) : text;
    }

    /// <summary>transformers' clean_up_tokenization (the same list in Tokenizers.js).</summary>
    static string CleanUpTokenizationSpaces(string text) => text
        .Replace(" .", ".", StringComparison.Ordinal).Replace(" ?", "?", StringComparison.Ordinal)
        .Replace(" !", "!", StringComparison.Ordinal).Replace(" ,", ",", StringComparison.Ordinal)
        .Replace(" ' ", "'", StringComparison.Ordinal).Replace(" n't", "n't", StringComparison.Ordinal)
        .Replace(" 'm", "'m", StringComparison.Ordinal).Replace(" 's", "'s", StringComparison.Ordinal)
        .Replace(" 've", "'ve", StringComparison.Ordinal).Replace(" 're", "'re", StringComparison.Ordinal);

    static List<HfAddedToken> AddedTokens(JsonElement root, HfJson json)
    {
        var tokens = new List<HfAddedToken>();
        if (!HfJson.TryGet(root, "added_tokens", out _)) return tokens;
        int i = 0;
        foreach (var item in json.Array(root, "added_tokens", "").EnumerateArray())
        {
            string at = $"added_tokens[{i++}]";
            int id = json.Int(item, "id", at);
            if (id < 0) throw json.Error($"{at}.id", "ids must not be negative");
            string content = json.String(item, "content", at);
            if (content.Length == 0) throw json.Error($"{at}.content", "empty");
            if (json.Bool(item, "single_word", at, false)) throw json.Error($"{at}.single_word", "true is not supported");
            tokens.Add(new HfAddedToken(id, content, json.Bool(item, "special", at, false), json.Bool(item, "normalized", at, true),
                json.Bool(item, "lstrip", at, false), json.Bool(item, "rstrip", at, false)));
        }
        return tokens;
    }
}
