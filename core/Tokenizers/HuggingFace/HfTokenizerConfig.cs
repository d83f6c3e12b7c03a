using System.Text.Json;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// The parts of a Hugging Face tokenizer_config.json that change ids or text: the special token
/// strings, <c>add_bos_token</c>/<c>add_eos_token</c>, <c>clean_up_tokenization_spaces</c> and the raw
/// <c>chat_template</c> (Jinja source, rendered elsewhere). Fields that would change the ids in ways
/// not implemented here are refused, naming them; the rest (tokenizer_class, model_max_length, ...)
/// describe the files and do not change the ids.
/// </summary>
public sealed record HfTokenizerConfig
{
    public const string FileName = "tokenizer_config.json";

    /// <summary>Largest config we read: Llama 3's is 51 KB (its chat template and 256 added tokens).</summary>
    const long MaxBytes = 16L << 20;

    /// <summary>The config of a folder without tokenizer_config.json: nothing overrides tokenizer.json.</summary>
    public static readonly HfTokenizerConfig Empty = new();

    /// <summary>Where it was read from, or null for <see cref="Empty"/>.</summary>
    public string? Source { get; init; }
    public string? BosToken { get; init; }
    public string? EosToken { get; init; }
    public string? UnkToken { get; init; }
    public string? PadToken { get; init; }

    /// <summary>When set, decides whether encoding with special tokens starts with BOS (transformers' LlamaTokenizerFast rebuilds its template from it).</summary>
    public bool? AddBosToken { get; init; }

    /// <summary>When set, decides whether encoding with special tokens ends with EOS.</summary>
    public bool? AddEosToken { get; init; }

    /// <summary>Decoding removes the space before . , ! ? and English contractions (Tokenizers.js's default is true).</summary>
    public bool CleanUpTokenizationSpaces { get; init; } = true;

    /// <summary>Extra strings treated as special (skipped when decoding without special tokens).</summary>
    public IReadOnlyList<string> AdditionalSpecialTokens { get; init; } = [];

    /// <summary>
    /// The Jinja chat template as written in the file, or null. A list of named templates
    /// ([{"name", "template"}]) gives the one named "default".
    /// </summary>
    public string? ChatTemplate { get; init; }

    /// <summary>Reads tokenizer_config.json.</summary>
    /// <exception cref="IO.InvalidFileException">Missing file, invalid JSON, a wrong field type or a refused field.</exception>
    public static HfTokenizerConfig Load(string path)
    {
        using var doc = HfJson.Parse(path, HfJson.ReadText(path, MaxBytes));
        var json = new HfJson(path);
        var root = doc.RootElement;
        if (root.ValueKind != JsonValueKind.Object) throw json.Error("(root)", $"expected an object, got {HfJson.Describe(root)}");

        // Each of these changes the ids in a way this tokenizer does not implement.
        foreach (var (field, problem) in new[]
        {
            ("split_special_tokens", "special-token strings tokenized as plain text"),
            ("do_lower_case", "lower-casing before tokenization"),
            ("remove_space", "collapsing whitespace before tokenization"),
            ("add_prefix_space", "a space prepended to the text (ask the tokenizer.json pre_tokenizer for it)"),
        })
            if (json.Bool(root, field, "", false)) throw json.Error(field, $"true is not supported ({problem})");

        return new HfTokenizerConfig
        {
            Source = path,
            BosToken = TokenString(json, root, "bos_token"),
            EosToken = TokenString(json, root, "eos_token"),
            UnkToken = TokenString(json, root, "unk_token"),
            PadToken = TokenString(json, root, "pad_token"),
            AddBosToken = json.OptionalBool(root, "add_bos_token", ""),
            AddEosToken = json.OptionalBool(root, "add_eos_token", ""),
            CleanUpTokenizationSpaces = json.Bool(root, "clean_up_tokenization_spaces", "", true),
            AdditionalSpecialTokens = AdditionalSpecial(json, root),
            ChatTemplate = Template(json, root),
        };
    }

    /// <summary>tokenizer_config.json beside a tokenizer.json, or <see cref="Empty"/> when there is none.</summary>
    public static HfTokenizerConfig LoadBeside(string tokenizerJsonPath)
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(tokenizerJsonPath))!, FileName);
        return File.Exists(path) ? Load(path) : Empty;
    }

    /// <summary>A special token is a string, or (older files) an AddedToken object with "content".</summary>
    static string? TokenString(HfJson json, JsonElement root, string name)
    {
        if (!HfJson.TryGet(root, name, out var value)) return null;
        return value.ValueKind == JsonValueKind.Object ? json.String(value, "content", name) : json.AsString(value, name);
    }

    static IReadOnlyList<string> AdditionalSpecial(HfJson json, JsonElement root)
    {
        if (!HfJson.TryGet(root, "additional_special_tokens", out _)) return [];
        var list = new List<string>();
        int i = 0;
        foreach (var item in json.Array(root, "additional_special_tokens", "").EnumerateArray())
        {
            string field = $"additional_special_tokens[{i++}]";
            list.Add(item.ValueKind == JsonValueKind.Object ? json.String(item, "content", field) : json.AsString(item, field));
        }
        return list;
    }

    static string? Template(HfJson json, JsonElement root)
    {
        if (!HfJson.TryGet(root, "chat_template", out var value)) return null;
        if (value.ValueKind == JsonValueKind.String) return value.GetString();
        if (value.ValueKind != JsonValueKind.Array)
            throw json.Error("chat_template", $"expected a string or a list of {{name, template}}, got {HfJson.Describe(value)}");
        var names = new List<string>();
        int i = 0;
        foreach (var item in value.EnumerateArray())
        {
            string field = $"chat_template[{i++}]";
            string name = json.String(item, "name", field);
            if (name == "default") return json.String(item, "template", field);
            names.Add(name);
        }
        throw json.Error("chat_template", $"the list has no template named \"default\" (it has: {string.Join(", ", names)})");
    }
}
