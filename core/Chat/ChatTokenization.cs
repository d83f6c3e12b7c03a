using System.Text.Json;
using Adapters.Core.IO;
using Adapters.Core.Templates;
using Adapters.Core.Tokenizers;

namespace Adapters.Core.Chat;

/// <summary>Text or a conversation file to token ids, as `adapters tokenize` shows them.</summary>
public static class ChatTokenization
{
    /// <summary>Larger conversation files are refused before reading.</summary>
    const long MaxConversationBytes = 16 << 20;

    /// <summary>Encodes <paramref name="text"/>; with <paramref name="specialTokens"/> the tokenizer adds what it adds around a text (BOS for LLaMA vocabularies).</summary>
    public static TokenizeResult Text(ITokenizer tokenizer, string text, bool specialTokens) =>
        new(tokenizer.Encode(text, addBos: specialTokens), text);

    /// <summary>
    /// The conversation in <paramref name="messagesPath"/> (a JSON array of {"role", "content"}, or
    /// {"messages": [...]}) rendered with the tokenizer folder's chat template and the generation prompt.
    /// </summary>
    /// <exception cref="InvalidFileException">The file is not a conversation, or the folder has no chat template.</exception>
    public static TokenizeResult Chat(ITokenizer tokenizer, string tokenizerFolder, string messagesPath)
    {
        var format = ChatFormat.TryLoad(tokenizerFolder, tokenizer)
            ?? throw new InvalidFileException(Path.Combine(tokenizerFolder, ChatFormat.ConfigFile), "no chat_template (the tokenizer folder needs a tokenizer_config.json with one)");
        var messages = ReadConversation(messagesPath);
        try
        {
            string rendered = format.Render(messages);
            return new TokenizeResult(format.EncodeText(rendered), rendered);
        }
        catch (TemplateRenderException e) { throw new InvalidFileException(e.Origin, $"line {e.Line}: {e.Problem}"); }
    }

    static List<ChatMessage> ReadConversation(string path)
    {
        if (!File.Exists(path)) throw new InvalidFileException(path, "file not found");
        if (new FileInfo(path).Length > MaxConversationBytes) throw new InvalidFileException(path, $"larger than {MaxConversationBytes >> 20} MiB; not a conversation");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllText(path));
            var root = doc.RootElement;
            if (root.ValueKind == JsonValueKind.Object && root.TryGetProperty("messages", out var inner)) root = inner;
            if (root.ValueKind != JsonValueKind.Array) throw new InvalidFileException(path, "expected a JSON array of {\"role\", \"content\"} messages (or {\"messages\": [...]})");
            var messages = new List<ChatMessage>();
            int i = 0;
            foreach (var m in root.EnumerateArray())
            {
                if (m.ValueKind != JsonValueKind.Object || !m.TryGetProperty("role", out var role) || role.ValueKind != JsonValueKind.String
                    || !m.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.String)
                    throw new InvalidFileException(path, $"messages[{i}] needs string fields \"role\" and \"content\"");
                messages.Add(new ChatMessage(role.GetString()!, content.GetString()!));
                i++;
            }
            if (messages.Count == 0) throw new InvalidFileException(path, "no messages");
            return messages;
        }
        catch (JsonException e) { throw new InvalidFileException(path, "not valid JSON: " + e.Message); }
        catch (InvalidOperationException) { throw new InvalidFileException(path, "a string is not valid text (invalid UTF-8 or an unpaired surrogate)"); }
    }
}
