namespace Adapters.Training.Trainer;

/// <summary>What <see cref="TrainingRun.Run"/> did: the trainer's result, the base model's held-out loss (null without held-out data), and the PEFT copy (null when not asked).</summary>
public sealed record TrainingRunResult(TrainingResult Training, double? BaseEvalLoss, string? PeftDir);
