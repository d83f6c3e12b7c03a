namespace Adapters.Core.Templates;

/// <summary>STUB in wt-chat; replaced by the Jinja helper's file at merge.</summary>
public sealed record ChatMessage(string Role, string Content);
