namespace Adapters.Core.Chat;

/// <summary>The chat template refused a conversation (its raise_exception, e.g. roles that do not alternate); a client error, not a broken file.</summary>
public sealed class ChatTemplateRefusedException(string message, Exception? inner = null) : Exception(message, inner);
