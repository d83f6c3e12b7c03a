using Adapters.Core.Tokenizers;
using Adapters.TestSupport;
using static Adapters.Core.Tests.Tokenizers.ReferenceTokenizers;

namespace Adapters.Core.Tests.Tokenizers;

/// <summary>stories260K's 512-token llama2.c vocabulary (tok512.bin).</summary>
public class Tok512TokenizerTests
{
    [Fact]
    public void Vocab_size_is_512_whether_given_or_inferred_from_the_file_length()
    {
        Assert.Equal(512, Tok512.VocabSize);
        Assert.Equal(512, Llama2cTokenizer.Load(SharedModels.Tok512).VocabSize);
    }

    [Fact]
    public void Once_upon_a_time_is_BOS_and_four_word_pieces()
    {
        // " Once" 403, " upon" 407, " a" 261, " time" 378: the dummy prefix joins the first word.
        Assert.Equal([1, 403, 407, 261, 378], Tok512.Encode("Once upon a time"));
    }

    [Theory]
    [InlineData("Once upon a time, there was a little girl named Lily.")]
    [InlineData("Lily's dog said {hi} #1 @home ^_^ = ok")]
    [InlineData("naïve café über Ærø")]
    [InlineData("emoji 🐶 and 東京")]
    [InlineData("new\nline\tand tab")]
    [InlineData("  two leading spaces")]
    public void Text_with_characters_outside_the_vocabulary_round_trips(string text)
    {
        Assert.Equal(text, Tok512.Decode(Tok512.Encode(text)));
    }

    [Fact]
    public void A_character_outside_the_vocabulary_becomes_its_UTF8_bytes_plus_3()
    {
        // '{' is not among the 512 pieces: byte 0x7B → id 0x7B + 3. 東 is E6 9D B1.
        Assert.Equal([0x7B + 3], Tok512.Encode("{", addBos: false).Skip(1));
        Assert.Equal([0xE6 + 3, 0x9D + 3, 0xB1 + 3], Tok512.Encode("東", addBos: false).Skip(1));
    }

    [Fact]
    public void BOS_comes_first_only_with_addBos_and_EOS_last_only_with_addEos()
    {
        var plain = Tok512.Encode("Lily", addBos: false);
        Assert.Equal(Llama2cTokenizer.BeginOfSentenceId, Tok512.Encode("Lily")[0]);
        Assert.DoesNotContain(Llama2cTokenizer.BeginOfSentenceId, plain);
        Assert.Equal([.. plain, Llama2cTokenizer.EndOfSentenceId], Tok512.Encode("Lily", addBos: false, addEos: true));
    }

    [Fact]
    public void Empty_text_has_no_dummy_prefix()
    {
        Assert.Equal([1], Tok512.Encode(""));
        Assert.Empty(Tok512.Encode("", addBos: false));
    }

    [Fact]
    public void Decode_drops_BOS_and_EOS()
    {
        Assert.Equal("Once upon a time", Tok512.Decode([1, 403, 407, 261, 378, 2]));
    }

    [Fact]
    public void Decode_joins_a_character_split_over_byte_tokens()
    {
        // "東" arrives as three <0xNN> tokens; none is valid UTF-8 alone.
        Assert.Equal("東", Tok512.Decode([1, 0xE6 + 3, 0x9D + 3, 0xB1 + 3]));
    }

    [Fact]
    public void Decode_removes_only_the_dummy_prefix_space_of_the_first_piece()
    {
        Assert.Equal("time", Tok512.Decode([378]));
        Assert.Equal("time time", Tok512.Decode([378, 378]));
    }

    [Fact]
    public void Decode_of_more_text_than_its_stack_buffer_holds_round_trips()
    {
        string text = string.Concat(Enumerable.Repeat("Once upon a time, 東 saw a cat. ", 40)).TrimEnd(); // ~1,300 UTF-8 bytes
        Assert.Equal(text, Tok512.Decode(Tok512.Encode(text)));
    }

    [Fact]
    public void Decode_allocates_only_the_text_it_returns()
    {
        int[] ids = [1, 403, 407, 261, 378, 2];
        Tok512.Decode(ids); // first call compiles
        long before = GC.GetAllocatedBytesForCurrentThread();
        string text = Tok512.Decode(ids);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated <= 32 + 2 * text.Length, $"decoding '{text}' allocated {allocated} bytes; the string itself is {22 + 2 * text.Length}");
    }

    [Fact]
    public void Decode_rejects_an_id_outside_the_vocabulary()
    {
        var e = Assert.Throws<ArgumentOutOfRangeException>(() => Tok512.Decode([512]));
        Assert.Contains("512", e.Message);
    }

    [Fact]
    public void Encode_matches_run_c_rescanning_merge_loop_on_random_text()
    {
        // Letters, spaces, punctuation and characters outside the vocabulary, in random mixes.
        const string alphabet = "aaeeiioouu tttnnnsrlhd .,!?'LOT\n{}#東é🐶";
        var runes = alphabet.EnumerateRunes().Select(r => r.ToString()).ToArray();
        var rng = new Random(512);
        for (int i = 0; i < 300; i++)
        {
            string text = string.Concat(Enumerable.Range(0, rng.Next(0, 40)).Select(_ => runes[rng.Next(runes.Length)]));
            Assert.Equal(RunCEncodeReference.Encode(Tok512, text), Tok512.Encode(text, addBos: false));
        }
    }

    [Fact]
    public void Encode_matches_run_c_rescanning_merge_loop_on_the_32k_vocabulary()
    {
        var rng = new Random(32000);
        string[] words = ["the", " ", "  ", "quick", "brown", "é", "中文", "😀", "ing", "tion", ",", "1", "23", "\n"];
        for (int i = 0; i < 50; i++)
        {
            string text = string.Concat(Enumerable.Range(0, rng.Next(0, 20)).Select(_ => words[rng.Next(words.Length)]));
            Assert.Equal(RunCEncodeReference.Encode(Llama2Bin, text), Llama2Bin.Encode(text, addBos: false));
        }
    }

    [Fact]
    public void Save_then_Load_gives_the_same_vocabulary()
    {
        string dir = SharedModels.NewTempFolder();
        try
        {
            string path = Path.Combine(dir, "tokenizer.bin");
            Tok512.Save(path);
            var copy = Llama2cTokenizer.Load(path, 512);
            Assert.Equal(Tok512.Pieces, copy.Pieces);
            Assert.Equal(Tok512.Scores, copy.Scores);
            Assert.Equal(Tok512.MaxTokenLength, copy.MaxTokenLength);
            Assert.Equal(File.ReadAllBytes(SharedModels.Tok512), File.ReadAllBytes(path));
        }
        finally { Directory.Delete(dir, recursive: true); }
    }
}
