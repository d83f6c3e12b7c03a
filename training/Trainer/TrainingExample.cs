using System.Text.Json.Serialization;
using Adapters.Core.Chat;

namespace Adapters.Training.Trainer;

/// <summary>
/// One JSONL line of task data: {"prompt": ..., "completion": ...} (loss on the completion only),
/// or a conversation rendered with the model's chat template (<see cref="Segments"/>: loss on the
/// assistant turns only; then Prompt is the text before the first trained piece and Completion the rest).
/// </summary>
public sealed record TrainingExample(
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("completion")] string Completion)
{
    /// <summary>The rendered conversation in order, trained pieces marked; null for prompt/completion lines.</summary>
    [JsonIgnore] public IReadOnlyList<TextSegment>? Segments { get; init; }

    /// <summary>A rendered conversation as an example.</summary>
    public static TrainingExample FromSegments(IReadOnlyList<TextSegment> segments)
    {
        int first = segments.ToList().FindIndex(s => s.Trained);
        if (first < 0) throw new ArgumentException("a conversation needs at least one trained (assistant) piece");
        return new TrainingExample(
            string.Concat(segments.Take(first).Select(s => s.Text)),
            string.Concat(segments.Skip(first).Select(s => s.Text)))
        { Segments = segments };
    }
}
