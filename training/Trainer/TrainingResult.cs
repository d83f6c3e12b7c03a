namespace Adapters.Training.Trainer;

/// <summary>The outcome of <see cref="AdapterTrainer.Train"/>.</summary>
/// <param name="FinalLoss">Training loss of the last step (mean over its completion tokens).</param>
/// <param name="FinalEvalLoss">Held-out loss after the last step; null without a held-out set.</param>
/// <param name="ResumedFromStep">The checkpoint step training continued from, 0 for a fresh run.</param>
/// <param name="TokensPerSecond">Input tokens per second of training (forward + backward + step), excluding evaluation.</param>
public sealed record TrainingResult(int Steps, double FinalLoss, double? FinalEvalLoss, int ResumedFromStep, double TokensPerSecond, long TrainableParameters, string? AdapterDir);
