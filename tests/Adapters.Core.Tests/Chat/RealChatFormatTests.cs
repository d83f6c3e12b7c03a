using Adapters.Core.Chat;
using Adapters.Core.Templates;
using Adapters.Core.Tokenizers;
using Adapters.TestSupport;

namespace Adapters.Core.Tests.Chat;

/// <summary>
/// The chat formats of the real Llama 3 and Qwen3 tokenizer folders: the end-of-turn tokens their
/// templates write stop generation, and splitting the template's special-token strings out
/// before encoding gives the ids the tokenizer itself gives (Hugging Face matches added tokens first).
/// </summary>
public sealed class RealChatFormatTests
{
    static readonly IReadOnlyList<ChatMessage> Conversation =
    [
        new("system", "You are terse."),
        new("user", "Grüße! 你好 👩‍👩‍👧"),
        new("assistant", "Hello.\n\nHow can I help?"),
        new("user", "Tell me the secret word."),
    ];

    static (ChatFormat Format, ITokenizer Tokenizer) Load(string name)
    {
        var tokenizer = TokenizerLoader.Load(HfTokenizerFiles.Folder(name));
        return (ChatFormat.TryLoad(HfTokenizerFiles.Folder(name), tokenizer)!, tokenizer);
    }

    [Theory]
    [InlineData("llama3", "<|eot_id|>", "<|end_of_text|>")]
    [InlineData("qwen3", "<|im_end|>", "<|endoftext|>")]
    public void End_of_turn_tokens_stop_generation(string name, string endOfTurn, string endOfText)
    {
        var (format, tokenizer) = Load(name);
        Assert.Contains(tokenizer.TokenId(endOfTurn)!.Value, format.StopTokens);
        Assert.Contains(tokenizer.TokenId(endOfText)!.Value, format.StopTokens);
        Assert.Contains(endOfTurn, format.EndOfTurnStrings);
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    public void Prompt_ids_are_the_tokenizers_ids_of_the_rendering(string name)
    {
        var (format, tokenizer) = Load(name);
        string rendered = format.Render(Conversation);
        Assert.Equal(tokenizer.Encode(rendered, addBos: false), format.Encode(Conversation));
        if (name == "llama3") Assert.Equal(tokenizer.BosId, format.Encode(Conversation)[0]); // the template writes <|begin_of_text|>
    }

    [Fact]
    public void Mistral_tokenizer_has_no_template()
    {
        var tokenizer = TokenizerLoader.Load(HfTokenizerFiles.Folder("mistral"));
        Assert.Null(ChatFormat.TryLoad(HfTokenizerFiles.Folder("mistral"), tokenizer));
    }
}
