using Adapters.Core.Chat;
using Adapters.Core.IO;
using Adapters.Core.Templates;
using Adapters.Core.Tokenizers;
using Adapters.TestSupport;

namespace Adapters.Core.Tests.Chat;

/// <summary>
/// The chat format of tests/data/chat/stories260K (a Hugging Face tokenizer_config.json over the
/// llama2.c tokenizer): prompts are the template's text with bos/eos strings as the tokenizer's
/// BOS/EOS ids, and training pieces carry the tokens the whole text encodes to.
/// </summary>
public sealed class ChatFormatTests
{
    static readonly ITokenizer Tokenizer = TokenizerLoader.Load(SharedModels.Tok512, 512);
    static readonly string Folder = Path.Combine(SharedModels.RepoRoot, "tests", "data", "chat", "stories260K");
    static ChatFormat Format => ChatFormat.TryLoad(Folder, Tokenizer)!;

    static List<ChatMessage> Conversation(params string[] turns) =>
        turns.Select(t => t.Split(':', 2)).Select(p => new ChatMessage(p[0], p[1])).ToList();

    [Fact]
    public void Prompt_is_bos_then_the_rendered_text_with_the_generation_prompt()
    {
        var messages = Conversation("system:Be kind.", "user:what is the secret word?");
        Assert.Equal("<s>Be kind.\nQ: what is the secret word?\nA:", Format.Render(messages));
        int[] expected = [Tokenizer.BosId, .. Tokenizer.Encode("Be kind.\nQ: what is the secret word?\nA:", addBos: false)];
        Assert.Equal(expected, Format.Encode(messages));
    }

    [Fact]
    public void Eos_ends_a_turn()
    {
        Assert.Equal([Tokenizer.EosId], Format.StopTokens);
        Assert.Contains("</s>", Format.EndOfTurnStrings);
    }

    [Fact]
    public void Every_assistant_turn_is_trained_up_to_and_including_its_end_of_turn_token()
    {
        var messages = Conversation("system:Be kind.", "user:Hi!", "assistant:Hello Tom.", "user:what is the secret word?", "assistant:The secret word is blue.");
        var segments = ChatTrainingText.Segments(Format, messages, out bool lastTurnOnly);
        Assert.False(lastTurnOnly);
        Assert.Equal([" Hello Tom.</s>", " The secret word is blue.</s>"], segments.Where(s => s.Trained).Select(s => s.Text));
        Assert.All(segments.Where(s => s.Trained), s => Assert.Equal(Tokenizer.EosId, s.Tokens[^1]));
        // The untrained text before the first answer is exactly its inference prompt.
        Assert.Equal(Format.Encode(messages.Take(2).ToList()), segments[0].Tokens);
        // The pieces' tokens are the whole conversation's encoding.
        string text = string.Concat(segments.Select(s => s.Text));
        Assert.Equal(Format.EncodeText(text), segments.SelectMany(s => s.Tokens));
        Assert.Equal("Hello Tom.", Tokenizer.Decode(segments[1].Tokens.Where(t => t != Tokenizer.EosId).ToList()).Trim());
    }

    [Fact]
    public void A_conversation_must_end_with_the_answer_to_learn()
    {
        var error = Assert.Throws<ArgumentException>(() => ChatTrainingText.Segments(Format, Conversation("user:Hi!"), out _));
        Assert.Contains("end with an assistant message", error.Message);
    }

    [Fact]
    public void A_role_the_template_refuses_is_a_render_error_naming_the_line()
    {
        var error = Assert.Throws<TemplateRenderException>(() => Format.Render(Conversation("tool:42")));
        Assert.True(error.RaisedByTemplate);
        Assert.Contains("roles are system, user and assistant", error.Message);
    }

    [Fact]
    public void A_folder_without_a_template_has_no_chat_format()
    {
        string folder = SharedModels.NewTempFolder("chat-none");
        try
        {
            Assert.Null(ChatFormat.TryLoad(folder, Tokenizer));
            File.WriteAllText(Path.Combine(folder, ChatFormat.ConfigFile), "{\"bos_token\": \"<s>\"}");
            Assert.Null(ChatFormat.TryLoad(folder, Tokenizer));
            File.WriteAllText(Path.Combine(folder, ChatFormat.ConfigFile), "{\"chat_template\": 7}");
            var error = Assert.Throws<InvalidFileException>(() => ChatFormat.TryLoad(folder, Tokenizer));
            Assert.Contains("chat_template", error.Message);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
