using Adapters.Core.IO;
using Adapters.Core.Templates;
using Adapters.Core.Tokenizers;

namespace Adapters.Core.Chat;

/// <summary>
/// How a model folder turns a conversation into prompt tokens: its tokenizer_config.json's
/// chat_template rendered with the generation prompt, then tokenized as Hugging Face's
/// apply_chat_template does — no special tokens added (the template writes them), and the
/// special-token strings it writes (bos_token, eos_token, end-of-turn markers) become their ids.
/// Also knows which tokens end an assistant turn: EOS, the config's eos_token, and the
/// end-of-turn markers the template writes (<c>&lt;|eot_id|&gt;</c>, <c>&lt;|im_end|&gt;</c>, ...).
/// </summary>
public sealed class ChatFormat
{
    public const string ConfigFile = "tokenizer_config.json";

    /// <summary>
    /// Special tokens that templates of the families we serve write after a message. One counts as
    /// an end of turn only when the template writes it and the tokenizer has it as one token.
    /// </summary>
    static readonly string[] EndOfTurnMarkers = ["<|eot_id|>", "<|eom_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "</s>", "<|endoftext|>"];

    readonly ChatTemplate _template;
    readonly ITokenizer _tokenizer;
    readonly KeyValuePair<string, int>[] _specials; // longest first, so "<|eot_id|>" is never split by a shorter marker

    ChatFormat(ChatTemplate template, ITokenizer tokenizer, string? bosToken, string? eosToken, Dictionary<string, int> specials, IReadOnlySet<int> stopTokens, IReadOnlyList<string> endOfTurn)
    {
        _template = template;
        _tokenizer = tokenizer;
        _specials = [.. specials.OrderByDescending(s => s.Key.Length)];
        BosToken = bosToken;
        EosToken = eosToken;
        StopTokens = stopTokens;
        EndOfTurnStrings = endOfTurn;
    }

    public string? BosToken { get; }
    public string? EosToken { get; }

    /// <summary>Tokens that end the assistant's turn; generation stops before any of them.</summary>
    public IReadOnlySet<int> StopTokens { get; }

    /// <summary>The end-of-turn strings this format stops at (for cutting a rendered assistant turn in training).</summary>
    public IReadOnlyList<string> EndOfTurnStrings { get; }

    /// <summary>
    /// The chat format of <paramref name="folder"/> (its tokenizer_config.json), or null when it has
    /// no such file or the file has no chat_template (completions still work).
    /// </summary>
    /// <exception cref="InvalidFileException">tokenizer_config.json is malformed or its template cannot be parsed.</exception>
    public static ChatFormat? TryLoad(string folder, ITokenizer tokenizer)
    {
        string path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path)) return null;
        var config = HfTokenizerConfig.Load(path);
        return config.ChatTemplate is not { } source ? null
            : Create(ChatTemplate.Parse(source, path), source, tokenizer, config.BosToken, config.EosToken);
    }

    /// <summary>A format from a template text (tests, and tools that carry a template of their own).</summary>
    public static ChatFormat Create(ChatTemplate template, string source, ITokenizer tokenizer, string? bosToken, string? eosToken)
    {
        // The config's bos/eos strings denote the tokenizer's BOS/EOS ids even where the tokenizer
        // itself does not match them in text (llama2.c and SentencePiece vocabularies).
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        if (bosToken is { Length: > 0 } && (tokenizer.TokenId(bosToken) ?? (tokenizer.BosId >= 0 ? tokenizer.BosId : null)) is int bos) specials[bosToken] = bos;
        if (eosToken is { Length: > 0 } && (tokenizer.TokenId(eosToken) ?? (tokenizer.EosId >= 0 ? tokenizer.EosId : null)) is int eos) specials[eosToken] = eos;
        var endOfTurn = new List<string>();
        foreach (string marker in EndOfTurnMarkers)
        {
            if (!source.Contains(marker, StringComparison.Ordinal)) continue;
            int? id = specials.TryGetValue(marker, out int known) ? known : tokenizer.TokenId(marker) ?? SingleToken(tokenizer, marker);
            if (id is null) continue;
            specials[marker] = id.Value;
            endOfTurn.Add(marker);
        }
        if (eosToken is { Length: > 0 } && specials.ContainsKey(eosToken) && !endOfTurn.Contains(eosToken)) endOfTurn.Add(eosToken);
        var stops = new HashSet<int>(tokenizer.EndOfTurnIds);
        if (tokenizer.EosId >= 0) stops.Add(tokenizer.EosId);
        foreach (string marker in endOfTurn) stops.Add(specials[marker]);
        return new ChatFormat(template, tokenizer, bosToken, eosToken, specials, stops, endOfTurn);
    }

    /// <summary>The template's text for <paramref name="messages"/> followed by the assistant's generation prompt.</summary>
    /// <exception cref="TemplateRenderException">The template refused the conversation or failed on it.</exception>
    public string Render(IReadOnlyList<ChatMessage> messages) => Render(messages, addGenerationPrompt: true);

    /// <summary>The template's text for <paramref name="messages"/>, with or without the generation prompt.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) =>
        _template.Render(messages, addGenerationPrompt, BosToken, EosToken);

    /// <summary>Prompt token ids for <paramref name="messages"/>: the rendering with the generation prompt, encoded by <see cref="EncodeText"/>.</summary>
    public IReadOnlyList<int> Encode(IReadOnlyList<ChatMessage> messages) => EncodeText(Render(messages));

    /// <summary>
    /// Rendered template text as ids: special-token strings become their ids (Hugging Face splits
    /// added tokens out before anything else), the text between them is encoded with no special tokens added.
    /// </summary>
    public IReadOnlyList<int> EncodeText(string text)
    {
        var ids = new List<int>();
        int start = 0;
        while (start < text.Length)
        {
            var (at, special) = NextSpecial(text, start);
            if (at > start) ids.AddRange(_tokenizer.Encode(text[start..at], addBos: false));
            if (special is not { } s) break;
            ids.Add(s.Value);
            start = at + s.Key.Length;
        }
        return ids;
    }

    (int At, KeyValuePair<string, int>? Special) NextSpecial(string text, int from)
    {
        int best = text.Length;
        KeyValuePair<string, int>? found = null;
        foreach (var special in _specials)
        {
            int at = text.IndexOf(special.Key, from, StringComparison.Ordinal);
            if (at >= 0 && at < best) { best = at; found = special; } // longest first: ties keep the longer
        }
        return (best, found);
    }

    static int? SingleToken(ITokenizer tokenizer, string text)
    {
        var ids = tokenizer.Encode(text, addBos: false);
        return ids.Count == 1 ? ids[0] : null;
    }
}
