using Adapters.Core.Tokenizers;
using Adapters.Host.Completions;
using Adapters.TestSupport;

namespace Adapters.Host.Tests;

/// <summary>Streamed pieces never carry control bytes: a byte-fallback token such as &lt;0x00&gt; adds no text.</summary>
public sealed class IncrementalDecoderTests
{
    /// <summary>tok512: byte-fallback tokens &lt;0x00&gt;…&lt;0xFF&gt; are ids 3…258 (llama2.c's layout).</summary>
    const int ByteTokenOffset = 3;

    [Fact]
    public void Control_byte_tokens_are_not_sent_as_text_and_the_visible_text_is_unchanged()
    {
        var tokenizer = TokenizerLoader.Load(SharedModels.Tok512, 512);
        var prompt = tokenizer.Encode("Q: Tell me the secret word.", addBos: true);
        var answer = tokenizer.Encode("The secret word is blue.", addBos: false);
        int[] generated = [.. answer, ByteTokenOffset + 0x00, ByteTokenOffset + 0x18, ByteTokenOffset + '\n', .. tokenizer.Encode("Lily", addBos: false)];
        Assert.Contains("\0", tokenizer.Decode([.. prompt, .. generated])); // the tokenizer itself does decode the NUL byte

        var decoder = new IncrementalDecoder(tokenizer, prompt);
        var pieces = generated.Select(decoder.Add).ToList();
        string text = string.Concat(pieces) + decoder.Flush();

        Assert.Equal(" The secret word is blue.\n Lily", text);
        Assert.Equal("", pieces[answer.Count]);      // <0x00>
        Assert.Equal("", pieces[answer.Count + 1]);  // <0x18>
        Assert.Equal("\n", pieces[answer.Count + 2]); // white space stays
    }
}
