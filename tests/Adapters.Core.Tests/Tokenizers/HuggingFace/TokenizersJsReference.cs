using System.Text.Json;
using System.Text.Json.Serialization;
using Adapters.Core.Tokenizers;
using Adapters.TestSupport;

namespace Adapters.Core.Tests.Tokenizers.HuggingFace;

/// <summary>Tokenizers.js's ids and decodings of the committed text table, and our tokenizers, each loaded once.</summary>
static class TokenizersJsReference
{
    public sealed record Case(
        [property: JsonPropertyName("text")] string Text,
        [property: JsonPropertyName("ids")] int[] Ids,
        [property: JsonPropertyName("ids_no_special")] int[] IdsNoSpecial,
        [property: JsonPropertyName("decoded")] string Decoded,
        [property: JsonPropertyName("decoded_skip_special")] string DecodedSkipSpecial);

    sealed record File([property: JsonPropertyName("cases")] Case[] Cases);

    static readonly Dictionary<string, Lazy<Case[]>> LazyCases = HfTokenizerFiles.Names.ToDictionary(n => n,
        n => new Lazy<Case[]>(() => JsonSerializer.Deserialize<File>(System.IO.File.ReadAllText(HfTokenizerFiles.Expected(n)))!.Cases));

    static readonly Dictionary<string, Lazy<HfTokenizer>> LazyTokenizers = HfTokenizerFiles.Names.ToDictionary(n => n,
        n => new Lazy<HfTokenizer>(() => HfTokenizer.Load(HfTokenizerFiles.TokenizerJson(n))));

    public static Case[] Cases(string name) => LazyCases[name].Value;

    public static HfTokenizer Tokenizer(string name) => LazyTokenizers[name].Value;

    /// <summary>(tokenizer name, case index) for every recorded case.</summary>
    public static TheoryData<string, int> AllCases()
    {
        var data = new TheoryData<string, int>();
        foreach (string name in HfTokenizerFiles.Names)
            for (int i = 0; i < Cases(name).Length; i++) data.Add(name, i);
        return data;
    }
}
