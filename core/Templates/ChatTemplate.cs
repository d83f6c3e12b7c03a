namespace Adapters.Core.Templates;

/// <summary>STUB in wt-chat; replaced by the Jinja helper's engine at merge.</summary>
public sealed class ChatTemplate
{
    public static ChatTemplate Parse(string source, string origin) => throw new NotImplementedException();
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? bosToken, string? eosToken, IReadOnlyDictionary<string, object?>? extra = null) => throw new NotImplementedException();
}
