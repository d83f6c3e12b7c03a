using System.Text.Json;
using System.Text.Json.Nodes;
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

    /// <summary>Larger tokenizer_config.json files are refused before reading (real ones are under 200 KB, Llama 3's with its added-token table).</summary>
    const long MaxConfigBytes = 16 << 20;

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
        JsonObject config;
        try
        {
            if (new FileInfo(path).Length > MaxConfigBytes) throw new InvalidFileException(path, $"larger than {MaxConfigBytes >> 20} MiB; not a tokenizer configuration");
            config = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("not a JSON object");
        }
        catch (JsonException e) { throw new InvalidFileException(path, "not a valid JSON object: " + e.Message); }
        string? source = TemplateSource(config, path);
        return source is null ? null : Create(ChatTemplate.Parse(source, path), source, tokenizer, TokenString(config, "bos_token", path), TokenString(config, "eos_token", path));
    }

    /// <summary>A format from a template text (tests, and tools that carry a template of their own).</summary>
    public static ChatFormat Create(ChatTemplate template, string source, ITokenizer tokenizer, string? bosToken, string? eosToken)
    {
        // The config's bos/eos strings denote the tokenizer's BOS/EOS ids even where the tokenizer
        // itself does not match them in text (llama2.c and SentencePiece vocabularies).
        var specials = new Dictionary<string, int>(StringComparer.Ordinal);
        if (bosToken is { Length: > 0 }) specials[bosToken] = tokenizer.BosId;
        if (eosToken is { Length: > 0 }) specials[eosToken] = tokenizer.EosId;
        var endOfTurn = new List<string>();
        foreach (string marker in EndOfTurnMarkers)
        {
            if (!source.Contains(marker, StringComparison.Ordinal)) continue;
            int? id = specials.TryGetValue(marker, out int known) ? known : SingleToken(tokenizer, marker);
            if (id is null) continue;
            specials[marker] = id.Value;
            endOfTurn.Add(marker);
        }
        if (eosToken is { Length: > 0 } && !endOfTurn.Contains(eosToken)) endOfTurn.Add(eosToken);
        var stops = new HashSet<int> { tokenizer.EosId };
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

    /// <summary>The chat_template field: a string, or Hugging Face's list of named templates (the one named "default").</summary>
    static string? TemplateSource(JsonObject config, string path)
    {
        switch (config["chat_template"])
        {
            case null: return null;
            case JsonValue value when value.TryGetValue(out string? text): return text;
            case JsonArray named:
                foreach (var entry in named)
                    if (entry is JsonObject o && o["name"] is JsonValue n && n.TryGetValue(out string? name) && name == "default"
                        && o["template"] is JsonValue t && t.TryGetValue(out string? template))
                        return template;
                throw new InvalidFileException(path, "chat_template is a list without an entry named \"default\"");
            default: throw new InvalidFileException(path, "chat_template must be a string or a list of {name, template}");
        }
    }

    /// <summary>bos_token / eos_token: a string, Hugging Face's AddedToken object {"content": ...}, or null.</summary>
    static string? TokenString(JsonObject config, string key, string path) => config[key] switch
    {
        null => null,
        JsonValue value when value.TryGetValue(out string? text) => text,
        JsonObject added when added["content"] is JsonValue content && content.TryGetValue(out string? text) => text,
        _ => throw new InvalidFileException(path, $"{key} must be a string or an object with \"content\""),
    };

    static int? SingleToken(ITokenizer tokenizer, string text)
    {
        var ids = tokenizer.Encode(text, addBos: false);
        return ids.Count == 1 ? ids[0] : null;
    }
}
