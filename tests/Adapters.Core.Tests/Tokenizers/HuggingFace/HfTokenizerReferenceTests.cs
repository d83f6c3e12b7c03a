using Adapters.TestSupport;

namespace Adapters.Core.Tests.Tokenizers.HuggingFace;

/// <summary>
/// Our tokenizer.json reader gives exactly the ids and decodings of Hugging Face Tokenizers.js
/// (recorded by tests/reference/tokenizers/generate.mjs) on the real Llama 3, Qwen3 and Mistral files.
/// </summary>
public sealed class HfTokenizerReferenceTests
{
    public static TheoryData<string, int> Cases => TokenizersJsReference.AllCases();

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ids_with_special_tokens_equal_TokenizersJs(string name, int index)
    {
        var c = TokenizersJsReference.Cases(name)[index];
        Assert.Equal(c.Ids, TokenizersJsReference.Tokenizer(name).Encode(c.Text, addBos: true));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ids_without_special_tokens_equal_TokenizersJs(string name, int index)
    {
        var c = TokenizersJsReference.Cases(name)[index];
        Assert.Equal(c.IdsNoSpecial, TokenizersJsReference.Tokenizer(name).Encode(c.Text, addBos: false));
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decoding_equals_TokenizersJs_with_and_without_special_tokens(string name, int index)
    {
        var c = TokenizersJsReference.Cases(name)[index];
        var tokenizer = TokenizersJsReference.Tokenizer(name);
        Assert.Equal(c.Decoded, tokenizer.Decode(c.Ids, skipSpecialTokens: false));
        Assert.Equal(c.DecodedSkipSpecial, tokenizer.Decode(c.Ids, skipSpecialTokens: true));
    }

    [Fact]
    public void The_reference_table_covers_every_tokenizer_with_the_same_texts()
    {
        var texts = TokenizersJsReference.Cases("llama3").Select(c => c.Text).ToList();
        Assert.True(texts.Count >= 40);
        Assert.Contains("", texts);
        Assert.Contains(texts, t => t.Contains("\r\n") && t.Length > 1000);
        foreach (string name in HfTokenizerFiles.Names)
            Assert.Equal(texts, TokenizersJsReference.Cases(name).Select(c => c.Text));
    }
}
