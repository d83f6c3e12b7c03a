using System.Runtime.CompilerServices;
using System.Text;
using Microsoft.Extensions.AI;

namespace Adapters.Runtime.Chat;

/// <summary>
/// A conversation with history over any <see cref="IChatClient"/>: each user turn is sent with
/// everything said before, the streamed answer is added to the history when it completes, and
/// the model (base or adapter) can change between turns. What `adapters chat` runs.
/// </summary>
public sealed class ChatConversation(IChatClient client, ChatOptions options, string? systemPrompt = null)
{
    readonly List<ChatMessage> _history = [];

    public IReadOnlyList<ChatMessage> History => _history;

    /// <summary>The model answering the next turn: the base (null) or an adapter's name.</summary>
    public string? ModelId { get; set; } = options.ModelId;

    /// <summary>Forgets everything said (the system prompt stays).</summary>
    public void Reset() => _history.Clear();

    /// <summary>Sends <paramref name="userText"/> and streams the answer's text pieces; a turn that fails or is cancelled leaves the history as it was.</summary>
    public async IAsyncEnumerable<string> SendAsync(string userText, [EnumeratorCancellation] CancellationToken cancel = default)
    {
        var messages = new List<ChatMessage>();
        if (!string.IsNullOrEmpty(systemPrompt)) messages.Add(new ChatMessage(ChatRole.System, systemPrompt));
        messages.AddRange(_history);
        var user = new ChatMessage(ChatRole.User, userText);
        messages.Add(user);
        var turnOptions = options.Clone();
        turnOptions.ModelId = ModelId;
        var answer = new StringBuilder();
        await foreach (var update in client.GetStreamingResponseAsync(messages, turnOptions, cancel))
        {
            string piece = update.Text;
            if (piece.Length == 0) continue;
            answer.Append(piece);
            yield return piece;
        }
        _history.Add(user);
        _history.Add(new ChatMessage(ChatRole.Assistant, answer.ToString()));
    }
}
