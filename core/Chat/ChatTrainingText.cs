using Adapters.Core.Templates;

namespace Adapters.Core.Chat;

/// <summary>
/// A conversation rendered for training as text pieces in order, each trained on or not: the
/// assistant turns (their content and end-of-turn marker) are trained, everything the template
/// writes around them is not. Turn i's trained text is render(messages[..i+1]) minus
/// render(messages[..i], generation prompt), cut after the first end-of-turn marker — so the
/// prompt the model learns to answer is exactly the one it is given at inference.
/// </summary>
public static class ChatTrainingText
{
    /// <param name="lastTurnOnly">Set when the template renders earlier turns differently once later turns follow (e.g. Qwen3 drops reasoning): then only the last assistant turn is trained.</param>
    /// <exception cref="ArgumentException">The conversation does not end with an assistant message, or the template's output is not prefix-stable.</exception>
    public static IReadOnlyList<TextSegment> Segments(ChatFormat format, IReadOnlyList<ChatMessage> messages, out bool lastTurnOnly)
    {
        if (messages.Count == 0 || messages[^1].Role != "assistant")
            throw new ArgumentException("a training conversation must end with an assistant message (the answer to learn)");
        var assistantTurns = Enumerable.Range(0, messages.Count).Where(i => messages[i].Role == "assistant").ToList();
        var pieces = new Pieces(format);
        foreach (int turn in assistantTurns)
        {
            var (prompt, answer) = Turn(format, messages, turn);
            if (!prompt.StartsWith(pieces.Text, StringComparison.Ordinal))
            {
                lastTurnOnly = true;
                var (lastPrompt, lastAnswer) = Turn(format, messages, messages.Count - 1);
                var last = new Pieces(format);
                last.Add(lastPrompt, trained: false);
                last.Add(lastAnswer, trained: true);
                return last.Segments;
            }
            pieces.Add(prompt[pieces.Text.Length..], trained: false);
            pieces.Add(answer, trained: true);
        }
        lastTurnOnly = false;
        return pieces.Segments;
    }

    /// <summary>
    /// Text pieces with their tokens as they come out of encoding the text so far as a whole
    /// (how the inference prompt is encoded): a piece's tokens are what encoding the longer text
    /// adds, unless a merge across the boundary changed earlier tokens — then it is encoded alone.
    /// </summary>
    sealed class Pieces(ChatFormat format)
    {
        readonly List<int> _tokens = [];

        public string Text { get; private set; } = "";
        public List<TextSegment> Segments { get; } = [];

        public void Add(string text, bool trained)
        {
            if (text.Length == 0) return;
            var joint = format.EncodeText(Text + text);
            bool clean = joint.Count > _tokens.Count && _tokens.SequenceEqual(joint.Take(_tokens.Count));
            var tokens = clean ? joint.Skip(_tokens.Count).ToList() : format.EncodeText(text).ToList();
            Segments.Add(new TextSegment(text, trained, tokens));
            _tokens.AddRange(tokens);
            Text += text;
        }
    }

    /// <summary>The prompt before assistant message <paramref name="turn"/> (with the generation prompt) and that message's rendered text.</summary>
    static (string Prompt, string Answer) Turn(ChatFormat format, IReadOnlyList<ChatMessage> messages, int turn)
    {
        string prompt = format.Render(messages.Take(turn).ToList(), addGenerationPrompt: true);
        string full = format.Render(messages.Take(turn + 1).ToList(), addGenerationPrompt: false);
        if (!full.StartsWith(prompt, StringComparison.Ordinal) || full.Length == prompt.Length)
            throw new ArgumentException($"the chat template does not render assistant message {turn} as a continuation of its generation prompt, so its tokens cannot be told apart");
        string answer = full[prompt.Length..];
        int cut = -1;
        foreach (string marker in format.EndOfTurnStrings)
        {
            int at = answer.IndexOf(marker, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at + marker.Length < cut)) cut = at + marker.Length;
        }
        return (prompt, cut > 0 ? answer[..cut] : answer);
    }
}
