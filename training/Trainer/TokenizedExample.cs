using Adapters.Core.Tokenizers;

namespace Adapters.Training.Trainer;

/// <summary>
/// An example as token ids; positions below <see cref="PromptLength"/> are the prompt. The loss
/// covers <see cref="TrainedSpans"/>: the completion (BOS + prompt + completion + EOS), or each
/// assistant turn of a rendered conversation.
/// </summary>
public sealed record TokenizedExample(int[] Tokens, int PromptLength)
{
    /// <summary>Token ranges whose tokens are predicted and scored; by default everything after the prompt.</summary>
    public IReadOnlyList<Range> TrainedSpans { get; init; } = [new Range(PromptLength, Tokens.Length)];

    /// <summary>
    /// Encodes prompt and completion together so the completion's first token is the one the
    /// tokenizer would produce in context; when BPE merges across the boundary (the joint
    /// encoding does not start with the prompt's own tokens), the prompt's tokens are kept
    /// and the completion is encoded on its own, so generation from the prompt matches training.
    /// A rendered conversation comes encoded piece by piece by its chat format (special-token
    /// strings as their ids), exactly as the inference prompt of its first turn is encoded.
    /// </summary>
    public static TokenizedExample Encode(ITokenizer tokenizer, TrainingExample example)
    {
        if (example.Segments is { } segments) return FromSegments(segments);
        var prompt = tokenizer.Encode(example.Prompt, addBos: true);
        var joint = tokenizer.Encode(example.Prompt + example.Completion, addBos: true, addEos: true);
        bool clean = joint.Count > prompt.Count && prompt.SequenceEqual(joint.Take(prompt.Count));
        var tokens = clean ? joint.ToArray()
            : prompt.Concat(tokenizer.Encode(example.Completion, addBos: false, addEos: true)).ToArray();
        return new TokenizedExample(tokens, prompt.Count);
    }

    static TokenizedExample FromSegments(IReadOnlyList<Core.Chat.TextSegment> segments)
    {
        var tokens = new List<int>();
        var spans = new List<Range>();
        foreach (var segment in segments)
        {
            int start = tokens.Count;
            tokens.AddRange(segment.Tokens);
            if (segment.Trained && tokens.Count > start) spans.Add(new Range(start, tokens.Count));
        }
        if (spans.Count == 0) throw new ArgumentException("the conversation's assistant turns encode to no tokens");
        return new TokenizedExample([.. tokens], spans[0].Start.Value) { TrainedSpans = spans };
    }

    /// <summary>Scored tokens.</summary>
    public int CompletionLength => TrainedSpans.Sum(s => s.End.Value - s.Start.Value);

    /// <summary>True when token <paramref name="index"/> is predicted and scored.</summary>
    public bool IsTrained(int index)
    {
        foreach (var span in TrainedSpans)
            if (index >= span.Start.Value && index < span.End.Value) return true;
        return false;
    }
}
