using System.Text.Json;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// The special tokens put around one encoded text ("add special tokens"): tokenizer.json's
/// post_processor (TemplateProcessing's "single" template; ByteLevel adds none; Sequence of both),
/// unless tokenizer_config.json sets add_bos_token/add_eos_token, which then decide, as
/// transformers' LlamaTokenizerFast rebuilds its template from them. Other types are refused.
/// </summary>
internal sealed record HfPostProcessor(IReadOnlyList<int> Prefix, IReadOnlyList<int> Suffix)
{
    public const string Supported = "TemplateProcessing, ByteLevel, Sequence";

    public static HfPostProcessor Create(JsonElement root, HfJson json, HfTokenizerConfig config, Func<string, int?> idOf)
    {
        var prefix = new List<int>();
        var suffix = new List<int>();
        if (HfJson.TryGet(root, "post_processor", out var post)) Add(post, json, "post_processor", prefix, suffix);
        if (config.AddBosToken is bool addBos)
            prefix = addBos ? [ConfigToken(config.BosToken, "bos_token", "add_bos_token", config, idOf)] : [];
        if (config.AddEosToken is bool addEos)
            suffix = addEos ? [ConfigToken(config.EosToken, "eos_token", "add_eos_token", config, idOf)] : [];
        return new HfPostProcessor(prefix, suffix);
    }

    static int ConfigToken(string? token, string field, string flag, HfTokenizerConfig config, Func<string, int?> idOf)
    {
        string path = config.Source ?? HfTokenizerConfig.FileName;
        if (token is null) throw new IO.InvalidFileException(path, $"{flag} is true but {field} is not set");
        return idOf(token) ?? throw new IO.InvalidFileException(path, $"{field} \"{token}\" is not a token of tokenizer.json");
    }

    static void Add(JsonElement post, HfJson json, string at, List<int> prefix, List<int> suffix)
    {
        string type = json.TypeOf(post, at);
        switch (type)
        {
            case "ByteLevel": return; // offsets only; no ids
            case "Sequence":
                int i = 0;
                foreach (var step in json.Array(post, "processors", at).EnumerateArray())
                    Add(step, json, $"{at}.processors[{i++}]", prefix, suffix);
                return;
            case "TemplateProcessing":
                Template(post, json, at, prefix, suffix);
                return;
            default:
                throw json.Unsupported($"{at}.type", $"post_processor type \"{type}\"", Supported);
        }
    }

    /// <summary>"single": [{SpecialToken: {id}} ..., {Sequence: {id: "A"}}, {SpecialToken: ...} ...].</summary>
    static void Template(JsonElement post, HfJson json, string at, List<int> prefix, List<int> suffix)
    {
        if (prefix.Count > 0 || suffix.Count > 0) throw json.Error(at, "a second template would add special tokens twice");
        var specials = json.Object(post, "special_tokens", at);
        bool seenSequence = false;
        int i = 0;
        foreach (var item in json.Array(post, "single", at).EnumerateArray())
        {
            string field = $"{at}.single[{i++}]";
            if (HfJson.TryGet(item, "Sequence", out var sequence))
            {
                string id = json.String(sequence, "id", field + ".Sequence");
                if (id != "A" || seenSequence) throw json.Error(field, $"the single template must hold sequence A once, got \"{id}\"");
                seenSequence = true;
            }
            else if (HfJson.TryGet(item, "SpecialToken", out var special))
            {
                string name = json.String(special, "id", field + ".SpecialToken");
                if (!HfJson.TryGet(specials, name, out var entry))
                    throw json.Error(field, $"special token \"{name}\" is not in {at}.special_tokens");
                var target = seenSequence ? suffix : prefix;
                int j = 0;
                foreach (var id in json.Array(entry, "ids", $"{at}.special_tokens.{name}").EnumerateArray())
                    target.Add(json.AsInt(id, $"{at}.special_tokens.{name}.ids[{j++}]"));
            }
            else throw json.Error(field, "expected {\"Sequence\": ...} or {\"SpecialToken\": ...}");
        }
        if (!seenSequence) throw json.Error($"{at}.single", "the template has no sequence A");
    }
}
