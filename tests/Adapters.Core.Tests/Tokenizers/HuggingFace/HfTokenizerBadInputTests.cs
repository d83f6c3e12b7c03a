using System.Text.Json.Nodes;
using Adapters.Core.IO;
using Adapters.Core.Tokenizers;
using Adapters.TestSupport;

namespace Adapters.Core.Tests.Tokenizers.HuggingFace;

/// <summary>
/// Every tokenizer.json or tokenizer_config.json we cannot read faithfully is refused with one
/// InvalidFileException naming the file, the field and the problem — never a crash, never ignored.
/// </summary>
public sealed class HfTokenizerBadInputTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder("hf-tokenizer-bad");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A tiny valid SentencePiece-style tokenizer.json: vocab a, b, ab, ▁, ▁ab and a merge list.</summary>
    static JsonObject Minimal() => JsonNode.Parse("""
        {
          "version": "1.0", "truncation": null, "padding": null,
          "added_tokens": [{"id": 0, "content": "<s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}],
          "normalizer": {"type": "Sequence", "normalizers": [{"type": "Prepend", "prepend": "▁"}, {"type": "Replace", "pattern": {"String": " "}, "content": "▁"}]},
          "pre_tokenizer": null,
          "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
                             "pair": [], "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]}}},
          "decoder": {"type": "Sequence", "decoders": [{"type": "Replace", "pattern": {"String": "▁"}, "content": " "}, {"type": "Fuse"}, {"type": "Strip", "content": " ", "start": 1, "stop": 0}]},
          "model": {"type": "BPE", "dropout": null, "unk_token": null, "fuse_unk": false, "byte_fallback": false,
                    "vocab": {"<s>": 0, "a": 1, "b": 2, "ab": 3, "▁": 4, "▁ab": 5}, "merges": ["a b", "▁ ab"]}
        }
        """)!.AsObject();

    string Write(JsonNode json, string? config = null)
    {
        string folder = Path.Combine(_dir, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "tokenizer.json");
        File.WriteAllText(path, json.ToJsonString());
        if (config is not null) File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), config);
        return path;
    }

    static InvalidFileException Refused(string path, int? vocab, params string[] words)
    {
        var e = Assert.Throws<InvalidFileException>(() => TokenizerLoader.Load(path, vocab));
        Assert.StartsWith(e.Path, e.Message);
        foreach (string w in words) Assert.Contains(w, e.Message);
        return e;
    }

    [Fact]
    public void The_minimal_file_itself_loads_and_encodes()
    {
        var t = (HfTokenizer)TokenizerLoader.Load(Write(Minimal()), 6);
        Assert.Equal([0, 5], t.Encode("ab"));
        Assert.Equal("ab", t.Decode([0, 5]));
    }

    [Theory]
    [InlineData("Unigram")]
    [InlineData("WordPiece")]
    [InlineData("WordLevel")]
    public void A_model_type_other_than_BPE_is_refused_naming_it(string type)
    {
        var json = Minimal();
        json["model"]!["type"] = type;
        var e = Refused(Write(json), null, "model.type", $"\"{type}\"", "not supported", "BPE");
        Assert.EndsWith("tokenizer.json", e.Path);
    }

    [Fact]
    public void A_truncated_tokenizer_json_is_refused_as_invalid_json()
    {
        string text = File.ReadAllText(HfTokenizerFiles.TokenizerJson("mistral"));
        string path = Path.Combine(_dir, "tokenizer.json");
        File.WriteAllText(path, text[..(text.Length / 2)]);
        Refused(path, null, "invalid JSON", "truncated?");
    }

    [Fact]
    public void A_vocabulary_larger_than_the_models_embedding_is_refused_with_both_numbers()
    {
        Refused(HfTokenizerFiles.TokenizerJson("qwen3"), 151_000, "vocab size mismatch", "151669 tokens", "only 151000 rows");
    }

    [Fact]
    public void A_vocabulary_smaller_than_the_embedding_is_accepted_as_Qwen_pads_its_embedding()
    {
        // Qwen3-0.6B's config.json says vocab_size 151936; its tokenizer has 151669 ids.
        Assert.Equal(151_669, TokenizerLoader.Load(HfTokenizerFiles.Folder("qwen3"), 151_936).VocabSize);
    }

    [Theory]
    [InlineData("normalizer", """{"type": "BertNormalizer"}""", "normalizer.type", "\"BertNormalizer\"")]
    [InlineData("normalizer", """{"type": "Sequence", "normalizers": [{"type": "NFC"}, {"type": "Precompiled", "precompiled_charsmap": "AA=="}]}""", "normalizer.normalizers[1].type", "\"Precompiled\"")]
    [InlineData("pre_tokenizer", """{"type": "Metaspace", "replacement": "▁", "prepend_scheme": "first", "split": false}""", "pre_tokenizer.type", "\"Metaspace\"")]
    [InlineData("pre_tokenizer", """{"type": "Split", "pattern": {"Regex": "\\s+"}, "behavior": "MergedWithPrevious", "invert": false}""", "pre_tokenizer.behavior", "\"MergedWithPrevious\"")]
    [InlineData("pre_tokenizer", """{"type": "Split", "pattern": {"Regex": "(unclosed"}, "behavior": "Isolated", "invert": false}""", "pre_tokenizer.pattern", "regex")]
    [InlineData("post_processor", """{"type": "RobertaProcessing", "sep": ["</s>", 2], "cls": ["<s>", 0]}""", "post_processor.type", "\"RobertaProcessing\"")]
    [InlineData("decoder", """{"type": "WordPiece", "prefix": "##"}""", "decoder.type", "\"WordPiece\"")]
    [InlineData("truncation", """{"max_length": 512}""", "truncation", "not supported")]
    public void A_component_we_do_not_implement_is_refused_naming_its_field_and_kind(string field, string value, string named, string kind)
    {
        var json = Minimal();
        json[field] = JsonNode.Parse(value);
        Refused(Write(json), null, named, kind);
    }

    [Theory]
    [InlineData("byte_fallback", "true", "model.byte_fallback", "<0x00>")]
    [InlineData("dropout", "0.1", "model.dropout", "not supported")]
    [InlineData("continuing_subword_prefix", "\"##\"", "model.continuing_subword_prefix", "not supported")]
    [InlineData("merges", "[\"a c\"]", "model.merges[0]", "not in model.vocab")]
    [InlineData("merges", "[\"abc\"]", "model.merges[0]", "expected \\\"left right\\\"")]
    [InlineData("unk_token", "\"<unk>\"", "model.unk_token", "not in model.vocab")]
    [InlineData("vocab", "{\"a\": -1}", "model.vocab[\"a\"]", "negative")]
    [InlineData("vocab", "{\"a\": \"one\"}", "model.vocab[\"a\"]", "expected an integer")]
    public void A_bad_model_field_is_refused_naming_it(string field, string value, string named, string problem)
    {
        var json = Minimal();
        json["model"]![field] = JsonNode.Parse(value);
        Refused(Write(json), null, named, problem.Replace("\\\"", "\""));
    }

    [Fact]
    public void A_byte_level_pre_tokenizer_over_a_vocabulary_without_the_byte_alphabet_is_refused()
    {
        var json = Minimal();
        json["pre_tokenizer"] = JsonNode.Parse("""{"type": "ByteLevel", "add_prefix_space": false, "use_regex": true}""");
        Refused(Write(json), null, "model.vocab", "256 byte characters");
    }

    [Fact]
    public void An_added_token_with_single_word_is_refused()
    {
        var json = Minimal();
        json["added_tokens"]![0]!["single_word"] = true;
        Refused(Write(json), null, "added_tokens[0].single_word", "not supported");
    }

    [Fact]
    public void Tokenizer_config_json_given_instead_of_tokenizer_json_is_named()
    {
        string path = Path.Combine(_dir, "tokenizer_config.json");
        File.Copy(Path.Combine(HfTokenizerFiles.Folder("qwen3"), "tokenizer_config.json"), path);
        Refused(path, null, "looks like tokenizer_config.json");
    }

    [Theory]
    [InlineData("""{"split_special_tokens": true}""", "split_special_tokens")]
    [InlineData("""{"do_lower_case": true}""", "do_lower_case")]
    [InlineData("""{"add_bos_token": "yes"}""", "add_bos_token")]
    [InlineData("""{"add_bos_token": true, "bos_token": "<bos>"}""", "bos_token \"<bos>\" is not a token")]
    [InlineData("""{"add_eos_token": true}""", "eos_token is not set")]
    [InlineData("""{"chat_template": [{"name": "tool_use", "template": "x"}]}""", "no template named \"default\"")]
    [InlineData("""{"chat_template": 42}""", "chat_template")]
    [InlineData("""{"bos_token": """, "invalid JSON")]
    public void A_bad_tokenizer_config_is_refused_naming_the_config_file_and_field(string config, string named)
    {
        var e = Refused(Write(Minimal(), config), null, named);
        Assert.EndsWith("tokenizer_config.json", e.Path);
    }
}
