using System.Text;
using System.Text.Json;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// tokenizer.json's "normalizer" as a string function. Written here because Microsoft.ML.Tokenizers
/// has no Unicode-form, Prepend or Replace normalizer: NFC/NFD/NFKC/NFKD (string.Normalize),
/// Prepend, Replace, Lowercase and Sequence. Any other type is refused, naming it.
/// </summary>
internal static class HfNormalizer
{
    public const string Supported = "NFC, NFD, NFKC, NFKD, Prepend, Replace, Lowercase, Sequence";

    /// <summary>Null when the file has no normalizer.</summary>
    public static Func<string, string>? Create(JsonElement root, HfJson json)
    {
        if (!HfJson.TryGet(root, "normalizer", out var normalizer)) return null;
        return Create(normalizer, json, "normalizer");
    }

    static Func<string, string> Create(JsonElement normalizer, HfJson json, string at)
    {
        string type = json.TypeOf(normalizer, at);
        switch (type)
        {
            case "NFC": return s => s.Normalize(NormalizationForm.FormC);
            case "NFD": return s => s.Normalize(NormalizationForm.FormD);
            case "NFKC": return s => s.Normalize(NormalizationForm.FormKC);
            case "NFKD": return s => s.Normalize(NormalizationForm.FormKD);
            case "Lowercase": return s => s.ToLowerInvariant();
            case "Prepend":
                string prefix = json.String(normalizer, "prepend", at);
                return s => s.Length == 0 ? s : prefix + s; // Hugging Face prepends only to non-empty text
            case "Replace":
                var pattern = json.Pattern(normalizer, "pattern", at);
                string content = json.String(normalizer, "content", at);
                return s => pattern.Replace(s, content.Replace("$", "$$", StringComparison.Ordinal));
            case "Sequence":
                var steps = new List<Func<string, string>>();
                int i = 0;
                foreach (var step in json.Array(normalizer, "normalizers", at).EnumerateArray())
                    steps.Add(Create(step, json, $"{at}.normalizers[{i++}]"));
                return s => { foreach (var f in steps) s = f(s); return s; };
            default:
                throw json.Unsupported($"{at}.type", $"normalizer type \"{type}\"", Supported);
        }
    }
}
