using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Core.IO;
using Adapters.Core.Templates;
using Adapters.Core.Tokenizers;

namespace Adapters.Core.Chat;

/// <summary>
/// How a model folder turns a conversation into prompt tokens: its tokenizer_config.json's
/// chat_template rendered with the generation prompt, then tokenized without adding special
/// tokens again (the template writes BOS itself, as Hugging Face's apply_chat_template assumes).
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

    ChatFormat(ChatTemplate template, ITokenizer tokenizer, string? bosToken, string? eosToken, IReadOnlySet<int> stopTokens)
    {
        _template = template;
        _tokenizer = tokenizer;
        BosToken = bosToken;
        EosToken = eosToken;
        StopTokens = stopTokens;
    }

    public string? BosToken { get; }
    public string? EosToken { get; }

    /// <summary>Tokens that end the assistant's turn; generation stops before any of them.</summary>
    public IReadOnlySet<int> StopTokens { get; }

    /// <summary>
    /// The chat format of the folder holding <paramref name="tokenizer"/>'s files, or null when it
    /// has no tokenizer_config.json or that file has no chat_template (completions still work).
    /// </summary>
    /// <exception cref="InvalidFileException">tokenizer_config.json is malformed or its template cannot be parsed.</exception>
    public static ChatFormat? TryLoad(string folder, ITokenizer tokenizer)
    {
        string path = Path.Combine(folder, ConfigFile);
        if (!File.Exists(path)) return null;
        JsonObject config;
        try { config = JsonNode.Parse(File.ReadAllText(path)) as JsonObject ?? throw new JsonException("not a JSON object"); }
        catch (JsonException e) { throw new InvalidFileException(path, "not a valid JSON object: " + e.Message); }
        string? source = TemplateSource(config, path);
        if (source is null) return null;
        var template = ChatTemplate.Parse(source, path);
        string? bos = TokenString(config, "bos_token", path), eos = TokenString(config, "eos_token", path);
        var stops = new HashSet<int> { tokenizer.EosId };
        if (eos is not null && SingleToken(tokenizer, eos) is int eosId) stops.Add(eosId);
        foreach (string marker in EndOfTurnMarkers)
            if (source.Contains(marker, StringComparison.Ordinal) && SingleToken(tokenizer, marker) is int id) stops.Add(id);
        var markers = EndOfTurnMarkers.Where(m => source.Contains(m, StringComparison.Ordinal) && SingleToken(tokenizer, m) is not null).ToList();
        if (eos is not null && !markers.Contains(eos) && SingleToken(tokenizer, eos) is not null) markers.Add(eos);
        return new ChatFormat(template, tokenizer, bos, eos, stops) { EndOfTurnStrings = markers };
    }

    /// <summary>The template's text for <paramref name="messages"/> followed by the assistant's generation prompt.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages) => Render(messages, addGenerationPrompt: true);

    /// <summary>The template's text for <paramref name="messages"/>, with or without the generation prompt.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt) =>
        _template.Render(messages, addGenerationPrompt, BosToken, EosToken);

    /// <summary>The end-of-turn marker strings this format stops at (for cutting a rendered assistant turn).</summary>
    public IReadOnlyList<string> EndOfTurnStrings { get; private init; } = [];

    /// <summary>Prompt token ids for <paramref name="messages"/>: the rendering, tokenized with no special tokens added.</summary>
    public IReadOnlyList<int> Encode(IReadOnlyList<ChatMessage> messages) => _tokenizer.Encode(Render(messages), addBos: false);

    /// <summary>The chat_template field: a string, or Hugging Face's list of named templates (the one named "default").</summary>
    static string? TemplateSource(JsonObject config, string path)
    {
        switch (config["chat_template"])
        {
            case null: return null;
            case JsonValue value when value.TryGetValue(out string? text): return text;
            case JsonArray named:
                foreach (var entry in named)
                    if (entry is JsonObject o && o["name"]?.GetValueKind() == JsonValueKind.String && (string)o["name"]! == "default"
                        && o["template"]?.GetValueKind() == JsonValueKind.String)
                        return (string)o["template"]!;
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
