using static Adapters.Core.Tests.Tokenizers.ReferenceTokenizers;

namespace Adapters.Core.Tests.Tokenizers;

/// <summary>
/// LLaMA-2's vocabulary ships twice in ../shared/models: as the SentencePiece tokenizer.model and
/// as llama2.c's tokenizer.bin. Our run.c encoder and Microsoft.ML.Tokenizers must agree on both.
/// </summary>
public class Llama2TokenizerCrossCheckTests
{
    [Theory]
    [MemberData(nameof(Sentences), MemberType = typeof(ReferenceTokenizers))]
    public void Llama2c_bin_and_SentencePiece_model_encode_to_the_same_ids(string text)
    {
        Assert.Equal(Llama2Model.Encode(text), Llama2Bin.Encode(text));
    }

    [Theory]
    [MemberData(nameof(Sentences), MemberType = typeof(ReferenceTokenizers))]
    public void Llama2c_bin_decodes_back_to_the_input(string text)
    {
        Assert.Equal(text, Llama2Bin.Decode(Llama2Bin.Encode(text)));
    }

    [Theory]
    [MemberData(nameof(Sentences), MemberType = typeof(ReferenceTokenizers))]
    public void SentencePiece_model_decodes_back_to_the_input(string text)
    {
        Assert.Equal(text, Llama2Model.Decode(Llama2Model.Encode(text)));
    }

    [Fact]
    public void Both_have_the_LLaMA_2_vocabulary_size_and_special_ids()
    {
        Assert.Equal((32000, 1, 2), (Llama2Bin.VocabSize, Llama2Bin.BosId, Llama2Bin.EosId));
        Assert.Equal((32000, 1, 2), (Llama2Model.VocabSize, Llama2Model.BosId, Llama2Model.EosId));
    }

    [Fact]
    public void Hello_world_is_the_well_known_LLaMA_2_encoding()
    {
        // BOS, "▁Hello", "▁world": the ids every LLaMA-2 tokenizer produces for this text.
        Assert.Equal([1, 15043, 3186], Llama2Bin.Encode("Hello world"));
    }

    [Fact]
    public void Characters_outside_the_vocabulary_fall_back_to_byte_tokens_in_both()
    {
        // 🦙 is not a piece: its four UTF-8 bytes F0 9F A6 99 become <0xNN> tokens (id = byte + 3).
        int[] llama = [0xF0 + 3, 0x9F + 3, 0xA6 + 3, 0x99 + 3];
        Assert.Equal(llama, Llama2Bin.Encode("🦙", addBos: false).Skip(1));
        Assert.Equal(llama, Llama2Model.Encode("🦙", addBos: false).Skip(1));
    }

    [Fact]
    public void Runs_of_spaces_encode_to_the_same_ids()
    {
        const string text = "a  b   c    d     e      f";
        Assert.Equal(Llama2Model.Encode(text), Llama2Bin.Encode(text));
    }

    [Fact]
    public void Empty_text_is_only_BOS_in_both()
    {
        Assert.Equal([1], Llama2Bin.Encode(""));
        Assert.Equal([1], Llama2Model.Encode(""));
    }

    [Fact]
    public void BOS_and_EOS_come_only_when_asked_and_never_twice()
    {
        foreach (var t in new Core.Tokenizers.ITokenizer[] { Llama2Bin, Llama2Model })
        {
            var plain = t.Encode("Hi", addBos: false);
            Assert.DoesNotContain(1, plain);
            Assert.Equal([1, .. plain, 2], t.Encode("Hi", addBos: true, addEos: true));
        }
    }

    [Fact]
    public void Both_decoders_drop_control_tokens()
    {
        int[] ids = [1, 15043, 3186, 2];
        Assert.Equal("Hello world", Llama2Bin.Decode(ids));
        Assert.Equal("Hello world", Llama2Model.Decode(ids));
    }
}
