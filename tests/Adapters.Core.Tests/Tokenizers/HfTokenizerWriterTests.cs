using System.Text.Json;
using Adapters.Core.Tokenizers;
using Adapters.TestSupport;
using static Adapters.Core.Tests.Tokenizers.ReferenceTokenizers;

namespace Adapters.Core.Tests.Tokenizers;

/// <summary>
/// The Hugging Face tokenizer.json / tokenizer_config.json written for ONNX Runtime GenAI: valid
/// JSON in LLaMA-2's layout, the vocabulary at the right ids, and merges that reproduce run.c's encoding.
/// </summary>
public sealed class HfTokenizerWriterTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder("hf-tokenizer");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string WriteTok512()
    {
        string folder = Path.Combine(_dir, "tok512");
        HfTokenizerWriter.Write(Tok512, folder, modelMaxLength: 512);
        return folder;
    }

    static JsonElement ReadJson(string folder, string file) =>
        JsonDocument.Parse(File.ReadAllBytes(Path.Combine(folder, file))).RootElement;

    [Fact]
    public void Vocab_holds_every_piece_at_its_id_in_SentencePiece_spelling()
    {
        var vocab = ReadJson(WriteTok512(), "tokenizer.json").GetProperty("model").GetProperty("vocab");
        var ids = vocab.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetInt32());
        Assert.Equal(512, ids.Count);
        Assert.Equal(Enumerable.Range(0, 512), ids.Values.Order());
        Assert.Equal((0, 1, 2), (ids["<unk>"], ids["<s>"], ids["</s>"]));
        Assert.Equal(0x41 + 3, ids["<0x41>"]);
        Assert.Equal(259, ids["\u2581t"]); // llama2.c's " t"
        Assert.DoesNotContain(ids.Keys, k => k.Contains(' '));
    }

    [Fact]
    public void Model_is_BPE_with_byte_fallback_and_LLaMA_normalizer_and_decoder()
    {
        var json = ReadJson(WriteTok512(), "tokenizer.json");
        var model = json.GetProperty("model");
        Assert.Equal("BPE", model.GetProperty("type").GetString());
        Assert.True(model.GetProperty("byte_fallback").GetBoolean());
        Assert.True(model.GetProperty("fuse_unk").GetBoolean());
        Assert.Equal("<unk>", model.GetProperty("unk_token").GetString());

        var normalizers = json.GetProperty("normalizer").GetProperty("normalizers").EnumerateArray().ToArray();
        Assert.Equal(("Prepend", "\u2581"), (normalizers[0].GetProperty("type").GetString(), normalizers[0].GetProperty("prepend").GetString()));
        Assert.Equal(("Replace", " ", "\u2581"), (normalizers[1].GetProperty("type").GetString(),
            normalizers[1].GetProperty("pattern").GetProperty("String").GetString(), normalizers[1].GetProperty("content").GetString()));

        var decoders = json.GetProperty("decoder").GetProperty("decoders").EnumerateArray().ToArray();
        Assert.Equal(["Replace", "ByteFallback", "Fuse", "Strip"], decoders.Select(d => d.GetProperty("type").GetString()));
        Assert.Equal("\u2581", decoders[0].GetProperty("pattern").GetProperty("String").GetString());
        Assert.Equal((" ", 1, 0), (decoders[3].GetProperty("content").GetString(), decoders[3].GetProperty("start").GetInt32(), decoders[3].GetProperty("stop").GetInt32()));
    }

    [Fact]
    public void Added_tokens_are_unk_bos_eos_at_0_1_2()
    {
        var added = ReadJson(WriteTok512(), "tokenizer.json").GetProperty("added_tokens").EnumerateArray()
            .Select(t => (t.GetProperty("id").GetInt32(), t.GetProperty("content").GetString(), t.GetProperty("special").GetBoolean()));
        Assert.Equal([(0, "<unk>", true), (1, "<s>", true), (2, "</s>", true)], added);
    }

    [Fact]
    public void Tokenizer_config_names_LlamaTokenizer_its_special_tokens_and_adds_BOS()
    {
        var config = ReadJson(WriteTok512(), "tokenizer_config.json");
        Assert.Equal("LlamaTokenizer", config.GetProperty("tokenizer_class").GetString());
        Assert.Equal("<s>", config.GetProperty("bos_token").GetString());
        Assert.Equal("</s>", config.GetProperty("eos_token").GetString());
        Assert.Equal("<unk>", config.GetProperty("unk_token").GetString());
        Assert.True(config.GetProperty("add_bos_token").GetBoolean());
        Assert.False(config.GetProperty("add_eos_token").GetBoolean());
        Assert.Equal(512, config.GetProperty("model_max_length").GetInt32());
    }

    [Fact]
    public void Writing_leaves_other_files_in_the_folder_alone()
    {
        string folder = Path.Combine(_dir, "export");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "genai_config.json"), "{}");
        HfTokenizerWriter.Write(Tok512, folder);
        Assert.Equal(["genai_config.json", "tokenizer.json", "tokenizer_config.json"],
            Directory.GetFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Sentences), MemberType = typeof(ReferenceTokenizers))]
    public void Merges_reproduce_the_tok512_encoding(string text)
    {
        var bpe = new HfBpeReference(Path.Combine(WriteTok512(), "tokenizer.json"));
        Assert.Equal(Tok512.Encode(text, addBos: false), bpe.Encode(text));
    }

    [Fact]
    public void Merges_reproduce_the_LLaMA_2_encoding()
    {
        HfTokenizerWriter.Write(Llama2Bin, _dir);
        var bpe = new HfBpeReference(Path.Combine(_dir, "tokenizer.json"));
        foreach (string text in Sentences)
        {
            Assert.Equal(Llama2Bin.Encode(text, addBos: false), bpe.Encode(text));
        }
    }

    [Fact]
    public void The_highest_ranked_LLaMA_2_merge_is_space_t()
    {
        // "▁t" (id 260) has the best score of all mergeable pieces, as in LLaMA-2's published tokenizer.json.
        var merges = HfTokenizerWriter.DeriveMerges(Llama2Model.Pieces, Llama2Model.Scores);
        Assert.Equal(("\u2581", "t"), merges[0]);
    }

    [Fact]
    public void Llama2c_pieces_converted_to_SentencePiece_spelling_equal_the_original_model()
    {
        Assert.Equal(Llama2Model.Pieces, HfTokenizerWriter.FromLlama2cPieces(Llama2Bin.Pieces));
        Assert.Equal(Llama2Model.Scores, Llama2Bin.Scores);
    }

    [Fact]
    public void Tokenizer_json_from_the_bin_and_from_the_model_are_identical()
    {
        string fromBin = Path.Combine(_dir, "bin"), fromModel = Path.Combine(_dir, "model");
        HfTokenizerWriter.Write(Llama2Bin, fromBin);
        HfTokenizerWriter.Write(Llama2Model, fromModel);
        Assert.Equal(File.ReadAllBytes(Path.Combine(fromModel, "tokenizer.json")), File.ReadAllBytes(Path.Combine(fromBin, "tokenizer.json")));
    }

    [Fact]
    public void A_vocabulary_without_LLaMA_control_pieces_is_refused()
    {
        var e = Assert.Throws<ArgumentException>(() => HfTokenizerWriter.BuildTokenizerJson(["a", "b", "c"], [0f, 0f, 0f]));
        Assert.Contains("<unk>", e.Message);
    }
}
