using Adapters.Core.IO;
using System.Globalization;
using System.Text.Json;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.TestSupport;

namespace Adapters.Core.Tests.Tokenizers;

/// <summary>
/// TokenizerLoader recognises the format by content and reports every bad input as one
/// InvalidFileException whose message names the file and the problem.
/// </summary>
public sealed class TokenizerLoaderTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder("tokenizer-loader");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string name, byte[] bytes)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    static InvalidFileException LoadFails(string path, int? expectedVocabSize = null, params string[] problem)
    {
        var e = Assert.Throws<InvalidFileException>(() => TokenizerLoader.Load(path, expectedVocabSize));
        Assert.Equal(path, e.Path);
        Assert.StartsWith(path, e.Message);
        foreach (string p in problem) Assert.Contains(p, e.Message);
        return e;
    }

    [Fact]
    public void Loads_the_SentencePiece_model_as_SentencePiece()
    {
        var t = TokenizerLoader.Load(SharedModels.Llama2TokenizerModel, 32000);
        Assert.IsType<SentencePieceTokenizer>(t);
        Assert.Equal(32000, t.VocabSize);
    }

    [Fact]
    public void Loads_a_llama2c_bin_as_llama2c()
    {
        var t = TokenizerLoader.Load(SharedModels.Tok512, 512);
        Assert.IsType<Llama2cTokenizer>(t);
        Assert.Equal(512, t.VocabSize);
    }

    [Fact]
    public void Detects_the_format_by_content_not_by_file_name()
    {
        string binNamedModel = Write("tokenizer.model", File.ReadAllBytes(SharedModels.Tok512));
        string modelNamedBin = Write("tokenizer.bin", File.ReadAllBytes(SharedModels.Llama2TokenizerModel));
        Assert.Equal(TokenizerKind.Llama2c, TokenizerLoader.DetectKind(binNamedModel));
        Assert.Equal(TokenizerKind.SentencePiece, TokenizerLoader.DetectKind(modelNamedBin));
        Assert.IsType<SentencePieceTokenizer>(TokenizerLoader.Load(modelNamedBin));
    }

    [Fact]
    public void A_folder_loads_the_tokenizer_file_inside_it()
    {
        File.Copy(SharedModels.Tok512, Path.Combine(_dir, "tokenizer.bin"));
        Assert.Equal(512, TokenizerLoader.Load(_dir).VocabSize);
    }

    [Fact]
    public void Missing_file_is_reported()
    {
        LoadFails(Path.Combine(_dir, "nope.model"), problem: "not found");
    }

    [Fact]
    public void Folder_without_a_tokenizer_is_reported()
    {
        LoadFails(_dir, problem: ["tokenizer.model", "tokenizer.bin"]);
    }

    [Fact]
    public void Empty_file_is_reported()
    {
        LoadFails(Write("tokenizer.bin", []), problem: "empty");
    }

    [Fact]
    public void A_model_checkpoint_given_as_tokenizer_is_named_as_such()
    {
        var e = Assert.Throws<InvalidFileException>(() => TokenizerLoader.Load(SharedModels.Stories260K));
        Assert.Contains(SharedModels.Stories260K, e.Message);
        Assert.Contains("llama2.c model checkpoint", e.Message);
        Assert.Contains("not a tokenizer", e.Message);
    }

    [Fact]
    public void A_safetensors_file_given_as_tokenizer_is_named_as_such()
    {
        string path = Path.Combine(_dir, "model.safetensors");
        SafeTensorsFile.Write(path, [new SafeTensorsFile.WriteEntry("w", [2], Floats: [1f, 2f])]);
        LoadFails(path, problem: ["safetensors", "not a tokenizer"]);
    }

    [Fact]
    public void A_json_file_is_read_as_a_Hugging_Face_tokenizer_and_its_problem_named()
    {
        string path = Write("tokenizer.json", "{\"model\": {}}"u8.ToArray());
        Assert.Equal(TokenizerKind.HuggingFace, TokenizerLoader.DetectKind(path));
        LoadFails(path, problem: ["model.vocab", "missing"]);
    }

    [Fact]
    public void A_json_array_is_not_a_tokenizer()
    {
        LoadFails(Write("tokenizer.json", "[1, 2]"u8.ToArray()), problem: ["JSON array", "not a tokenizer"]);
    }

    [Fact]
    public void Random_bytes_are_not_a_tokenizer()
    {
        var bytes = new byte[4096];
        new Random(7).NextBytes(bytes);
        bytes[3] = 0x80; // a negative first int32: no plausible max_token_length
        LoadFails(Write("tokenizer.bin", bytes), problem: "not a tokenizer");
    }

    [Fact]
    public void Random_bytes_after_a_plausible_header_are_not_a_llama2c_tokenizer()
    {
        var bytes = new byte[4096];
        new Random(8).NextBytes(bytes);
        BitConverter.GetBytes(16).CopyTo(bytes, 0); // max_token_length 16, then garbage records
        LoadFails(Write("tokenizer.bin", bytes), problem: "not a llama2.c tokenizer.bin");
    }

    [Theory]
    [InlineData(512)]
    [InlineData(null)]
    public void Truncated_llama2c_tokenizer_reports_truncation_and_sizes(int? expectedVocabSize)
    {
        byte[] full = File.ReadAllBytes(SharedModels.Tok512);
        int cut = full.Length - 3; // inside the last token's bytes
        var e = LoadFails(Write("tokenizer.bin", full[..cut]), expectedVocabSize, "truncated", "token 511");
        Assert.Contains($"file is {cut.ToString("N0", CultureInfo.InvariantCulture)} bytes", e.Message);
        Assert.Contains($"needs at least {full.Length.ToString("N0", CultureInfo.InvariantCulture)}", e.Message);
    }

    [Fact]
    public void Truncated_SentencePiece_model_reports_truncation()
    {
        byte[] full = File.ReadAllBytes(SharedModels.Llama2TokenizerModel);
        LoadFails(Write("tokenizer.model", full[..(full.Length / 2)]), problem: ["SentencePiece", "truncated"]);
    }

    [Fact]
    public void SentencePiece_model_cut_between_two_pieces_reports_truncation()
    {
        byte[] full = File.ReadAllBytes(SharedModels.Llama2TokenizerModel);
        LoadFails(Write("tokenizer.model", full[..OffsetOfTrainerSpec(full)]), problem: ["32000 pieces", "truncated"]);
    }

    /// <summary>Where ModelProto field 2 (trainer_spec, tag 0x12) starts; only pieces (tag 0x0A) come before it.</summary>
    static int OffsetOfTrainerSpec(byte[] model)
    {
        int pos = 0;
        while (model[pos] == 0x0A)
        {
            pos++;
            int length = 0;
            for (int shift = 0; ; shift += 7)
            {
                byte b = model[pos++];
                length |= (b & 0x7F) << shift;
                if (b < 0x80) break;
            }
            pos += length;
        }
        Assert.Equal(0x12, model[pos]);
        return pos;
    }

    [Fact]
    public void Llama2c_tokenizer_smaller_than_the_model_vocabulary_is_a_mismatch()
    {
        var e = Assert.Throws<InvalidFileException>(() => TokenizerLoader.Load(SharedModels.Tok512, 32000));
        Assert.Contains(SharedModels.Tok512, e.Message);
        Assert.Contains("vocab size mismatch: the tokenizer holds 512 tokens but the model's vocab_size is 32000", e.Message);
    }

    [Fact]
    public void Llama2c_tokenizer_larger_than_the_model_vocabulary_is_a_mismatch()
    {
        var e = Assert.Throws<InvalidFileException>(() => TokenizerLoader.Load(SharedModels.Llama2TokenizerBin, 512));
        Assert.Contains(SharedModels.Llama2TokenizerBin, e.Message);
        Assert.Contains("vocab size mismatch: the tokenizer holds 32000 tokens but the model's vocab_size is 512", e.Message);
    }

    [Fact]
    public void SentencePiece_model_with_another_vocabulary_size_is_a_mismatch()
    {
        var e = Assert.Throws<InvalidFileException>(() => TokenizerLoader.Load(SharedModels.Llama2TokenizerModel, 512));
        Assert.Contains(SharedModels.Llama2TokenizerModel, e.Message);
        Assert.Contains("vocab size mismatch: the tokenizer holds 32000 tokens but the model's vocab_size is 512", e.Message);
    }

    [Fact]
    public void A_vocabulary_without_byte_tokens_is_refused()
    {
        string[] pieces = ["<unk>", "\n<s>\n", "\n</s>\n", .. Enumerable.Range(0, 300).Select(i => $"p{i}")];
        string path = Path.Combine(_dir, "tokenizer.bin");
        // Save goes through the constructor, which already refuses; write the file by hand instead.
        using (var w = new BinaryWriter(File.Create(path)))
        {
            w.Write(6);
            foreach (string p in pieces) { w.Write(0f); w.Write(p.Length); w.Write(System.Text.Encoding.UTF8.GetBytes(p)); }
        }
        LoadFails(path, problem: ["token 3", "<0x00>"]);
    }

    [Fact]
    public void Kinds_have_stable_manifest_names()
    {
        Assert.Equal("llama2c", TokenizerLoader.ManifestName(TokenizerKind.Llama2c));
        Assert.Equal("sentencepiece", TokenizerLoader.ManifestName(TokenizerKind.SentencePiece));
        Assert.Equal("\"sentencepiece\"", JsonSerializer.Serialize(TokenizerKind.SentencePiece));
        Assert.Equal(TokenizerKind.Llama2c, JsonSerializer.Deserialize<TokenizerKind>("\"llama2c\""));
        foreach (var kind in Enum.GetValues<TokenizerKind>())
            Assert.Equal(kind, TokenizerLoader.ParseManifestName(TokenizerLoader.ManifestName(kind)));
    }

    [Fact]
    public void Unknown_manifest_name_lists_the_known_ones()
    {
        var e = Assert.Throws<ArgumentException>(() => TokenizerLoader.ParseManifestName("tiktoken"));
        Assert.Contains("llama2c", e.Message);
        Assert.Contains("sentencepiece", e.Message);
    }
}
