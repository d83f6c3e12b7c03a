using System.Text;
using Adapters.Core.Tokenizers;
using Adapters.TestSupport;

namespace Adapters.Core.Tests.Tokenizers.HuggingFace;

/// <summary>Round trips, special tokens, the config's chat template and encoding cost of the real tokenizers.</summary>
public sealed class HfTokenizerBehaviourTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder("hf-tokenizer");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, int> Cases => TokenizersJsReference.AllCases();

    /// <summary>Mistral's own special tokens: written in the text they become control ids, and its Strip decoder then keeps the space after them.</summary>
    static readonly string[] MistralSpecials = ["<s>", "</s>", "<unk>"];

    /// <summary>transformers' clean-up patterns (Llama 3 turns it on): a text holding one does not come back as written.</summary>
    static readonly string[] CleanUpPatterns = [" .", " ?", " !", " ,", " '", " n't"];

    [Theory]
    [MemberData(nameof(Cases))]
    public void Decoding_the_encoding_gives_the_text_back(string name, int index)
    {
        string text = TokenizersJsReference.Cases(name)[index].Text;
        if (name == "mistral" && MistralSpecials.Any(text.Contains)) return;
        if (name == "llama3" && CleanUpPatterns.Any(text.Contains)) return;
        var t = TokenizersJsReference.Tokenizer(name);
        string expected = name == "qwen3" ? text.Normalize(NormalizationForm.FormC) : text; // Qwen's NFC normalizer
        Assert.Equal(expected, t.Decode(t.Encode(text, addBos: false), skipSpecialTokens: false));
        string withBos = t.Decode(t.Encode(text, addBos: true), skipSpecialTokens: false);
        if (name == "mistral") withBos = System.Text.RegularExpressions.Regex.Replace(withBos, "^<s> ?", ""); // its BOS, and the space its Strip decoder then keeps
        Assert.Equal(expected, withBos);
    }

    [Fact]
    public void Llama3s_clean_up_removes_the_space_before_punctuation_as_transformers_does()
    {
        var t = TokenizersJsReference.Tokenizer("llama3");
        Assert.Equal("a. b, c! d? don't", t.Decode(t.Encode("a . b , c ! d ? do n't", addBos: false)));
        Assert.False(TokenizersJsReference.Tokenizer("qwen3").Config.CleanUpTokenizationSpaces);
    }

    [Theory]
    [InlineData("llama3", "<|begin_of_text|>", 128000, "<|end_of_text|>", 128001, new[] { 128001, 128009 })]
    [InlineData("qwen3", null, -1, "<|im_end|>", 151645, new[] { 151645, 151643 })]
    [InlineData("mistral", "<s>", 1, "</s>", 2, new[] { 2 })]
    public void Special_tokens_come_from_the_config_and_end_of_turn_ids_include_the_chat_markers(
        string name, string? bos, int bosId, string eos, int eosId, int[] endOfTurn)
    {
        var t = TokenizersJsReference.Tokenizer(name);
        Assert.Equal(bos, t.Config.BosToken);
        Assert.Equal(eos, t.Config.EosToken);
        Assert.Equal((bosId, eosId), (t.BosId, t.EosId));
        Assert.Equal(endOfTurn.Order(), t.EndOfTurnIds.Order());
        Assert.Equal(eosId, t.TokenId(eos));
        Assert.Null(t.TokenId("<|no such token|>"));
    }

    [Theory]
    [InlineData("llama3", "<|eot_id|>", 128009)]
    [InlineData("llama3", "<|start_header_id|>", 128006)]
    [InlineData("qwen3", "<|im_start|>", 151644)]
    [InlineData("qwen3", "<think>", 151667)]
    [InlineData("mistral", "▁The", 415)]
    public void TokenId_finds_added_and_vocabulary_tokens_by_their_string(string name, string token, int id)
    {
        Assert.Equal(id, TokenizersJsReference.Tokenizer(name).TokenId(token));
        Assert.Equal(token, TokenizersJsReference.Tokenizer(name).TokenOf(id));
    }

    [Fact]
    public void The_chat_template_is_the_configs_raw_string()
    {
        Assert.StartsWith("{% set loop_messages = messages %}", TokenizersJsReference.Tokenizer("llama3").ChatTemplate);
        Assert.Contains("<|im_start|>", TokenizersJsReference.Tokenizer("qwen3").ChatTemplate);
        Assert.Null(TokenizersJsReference.Tokenizer("mistral").ChatTemplate);
    }

    [Fact]
    public void A_list_of_named_chat_templates_gives_the_default_one()
    {
        string path = Path.Combine(_dir, "tokenizer_config.json");
        File.WriteAllText(path, """{"chat_template": [{"name": "tool_use", "template": "T"}, {"name": "default", "template": "D"}]}""");
        Assert.Equal("D", HfTokenizerConfig.Load(path).ChatTemplate);
    }

    [Fact]
    public void Adding_eos_appends_it_once()
    {
        var mistral = TokenizersJsReference.Tokenizer("mistral");
        Assert.Equal([1, 22557, 2], mistral.Encode("Hello", addBos: true, addEos: true));
        var qwen = TokenizersJsReference.Tokenizer("qwen3");
        Assert.Equal([9707, 151645], qwen.Encode("Hello", addBos: true, addEos: true));
    }

    [Fact]
    public void Add_bos_token_in_the_config_overrides_the_template_as_transformers_does()
    {
        string folder = Path.Combine(_dir, "no-bos");
        Directory.CreateDirectory(folder);
        File.Copy(HfTokenizerFiles.TokenizerJson("mistral"), Path.Combine(folder, "tokenizer.json"));
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"add_bos_token": false, "add_eos_token": true, "bos_token": "<s>", "eos_token": "</s>"}""");
        var t = HfTokenizer.Load(Path.Combine(folder, "tokenizer.json"));
        Assert.Equal([22557, 2], t.Encode("Hello"));
        Assert.Equal([22557], t.Encode("Hello", addBos: false));
    }

    [Fact]
    public void A_folder_with_tokenizer_json_and_tokenizer_model_uses_tokenizer_json()
    {
        File.Copy(HfTokenizerFiles.TokenizerJson("mistral"), Path.Combine(_dir, "tokenizer.json"));
        File.Copy(Path.Combine(HfTokenizerFiles.Folder("mistral"), "tokenizer_config.json"), Path.Combine(_dir, "tokenizer_config.json"));
        File.Copy(SharedModels.Llama2TokenizerModel, Path.Combine(_dir, "tokenizer.model"));
        var t = TokenizerLoader.Load(_dir, 32000);
        Assert.IsType<HfTokenizer>(t);
        Assert.Equal(415, t.Encode("The", addBos: false).Single()); // Mistral's id; Meta's tokenizer.model says 450
        Assert.Equal(TokenizerKind.HuggingFace, TokenizerLoader.DetectKind(Path.Combine(_dir, "tokenizer.json")));
    }

    [Fact]
    public void Encoding_work_grows_linearly_with_the_text()
    {
        // Mistral's tokenizer has no pre-tokenizer, so a whole text is one BPE word: a merge loop
        // that rescans or rebuilds the word per merge makes the work quadratic in the text's length.
        // Allocated bytes count that work without a clock (tests here never time anything): four
        // times the text must cost at most about four times the bytes (fixed costs make it less), where
        // a quadratic loop costs ~16.
        // No '<': special tokens would cut the text into separately merged pieces.
        string unit = string.Concat(TokenizersJsReference.Cases("llama3").Select(c => c.Text).Where(text => !text.Contains('<'))); // ~3 KB of mixed text
        Assert.True(unit.Length > 2500);
        foreach (string name in HfTokenizerFiles.Names)
        {
            var t = TokenizersJsReference.Tokenizer(name);
            t.Encode(unit[..100]); // first-call set-up is not per-character work
            // Numbered copies: the texts differ, so Mistral's one word is never one it cached before.
            long small = AllocatedWhileEncoding(t, Copies(unit, name, 1), out int smallCount);
            long large = AllocatedWhileEncoding(t, Copies(unit, name, 4), out int largeCount);
            Assert.True(smallCount > 1000 && largeCount > 3.5 * smallCount, $"{name}: {smallCount} then {largeCount} ids");
            double ratio = (double)large / small;
            Assert.True(ratio < 4.5, $"{name}: encoding 4x the text allocated {ratio:F2}x the bytes ({small} -> {large}); linear work gives at most 4x");
        }
    }

    static string Copies(string unit, string salt, int count) =>
        string.Concat(Enumerable.Range(0, count).Select(i => $"{salt} copy {i}: {unit}"));

    static long AllocatedWhileEncoding(HfTokenizer tokenizer, string text, out int ids)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        ids = tokenizer.Encode(text).Count;
        return GC.GetAllocatedBytesForCurrentThread() - before;
    }
}
