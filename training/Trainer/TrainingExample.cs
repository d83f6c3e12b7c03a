using System.Text.Json.Serialization;

namespace Adapters.Training.Trainer;

/// <summary>One JSONL line of task data: {"prompt": ..., "completion": ...}. Loss is taken on the completion only.</summary>
public sealed record TrainingExample(
    [property: JsonPropertyName("prompt")] string Prompt,
    [property: JsonPropertyName("completion")] string Completion);
