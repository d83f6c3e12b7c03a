using Adapters.Core.Tests.Tokenizers.HuggingFace;
using Adapters.Core.Tokenizers;

namespace Adapters.Core.Tests.Tokenizers;

/// <summary>
/// Streamed pieces, concatenated, equal decode(prompt + generated) minus decode(prompt), and no
/// piece ends inside a UTF-8 character — for byte-level, byte-fallback and llama2.c tokens.
/// </summary>
public sealed class StreamingDecoderTests
{
    public static TheoryData<string, int> Cases => TokenizersJsReference.AllCases();

    static ITokenizer Tokenizer(string name) => name == "tok512" ? ReferenceTokenizers.Tok512 : TokenizersJsReference.Tokenizer(name);

    static List<string> Stream(ITokenizer tokenizer, IReadOnlyList<int> prompt, IReadOnlyList<int> generated)
    {
        var decoder = new StreamingDecoder(tokenizer, prompt);
        var pieces = generated.Select(decoder.Add).ToList();
        pieces.Add(decoder.Flush());
        return pieces;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Pieces_add_up_to_the_decoded_completion(string name, int index)
    {
        var tokenizer = TokenizersJsReference.Tokenizer(name);
        var ids = TokenizersJsReference.Cases(name)[index].Ids;
        int split = Math.Min(3, ids.Length);
        var prompt = ids[..split];
        string expected = tokenizer.Decode(ids)[tokenizer.Decode(prompt).Length..];
        var pieces = Stream(tokenizer, prompt, ids[split..]);
        Assert.Equal(expected, string.Concat(pieces));
        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    [InlineData("mistral")]
    public void A_character_split_over_byte_tokens_comes_out_whole(string name)
    {
        var tokenizer = TokenizersJsReference.Tokenizer(name);
        // 龘 is three UTF-8 bytes, spread over byte-level tokens or <0xNN> byte-fallback tokens.
        var ids = tokenizer.Encode("x 龘 y", addBos: false);
        Assert.Contains(Enumerable.Range(1, ids.Count - 1), n => tokenizer.Decode(ids.Take(n).ToList()).EndsWith('\uFFFD')); // it does span tokens
        var pieces = Stream(tokenizer, [], ids);
        Assert.Equal(tokenizer.Decode(ids), string.Concat(pieces));
        Assert.Contains(pieces, p => p.Contains('龘'));
        Assert.DoesNotContain(pieces, p => p.Contains('\uFFFD'));
    }

    [Fact]
    public void A_space_waits_for_the_next_token_because_clean_up_may_drop_it()
    {
        var llama3 = TokenizersJsReference.Tokenizer("llama3");
        var ids = llama3.Encode("Wait . Then", addBos: false);
        var pieces = Stream(llama3, [], ids);
        Assert.Equal("Wait. Then", string.Concat(pieces));
    }

    [Fact]
    public void Llama2c_pieces_keep_their_spaces_after_the_prompt()
    {
        var tok = ReferenceTokenizers.Tok512;
        var ids = tok.Encode("Once upon a time, there was a girl.", addBos: true);
        var pieces = Stream(tok, ids.Take(4).ToList(), ids.Skip(4).ToList());
        Assert.Equal(tok.Decode(ids)[tok.Decode(ids.Take(4).ToList()).Length..], string.Concat(pieces));
        Assert.True(pieces.Count(p => p.Length > 0) > 3);
    }
}
