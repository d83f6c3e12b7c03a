namespace Adapters.Training.Trainer;

/// <summary>Reported after every optimizer step; EvalLoss only on steps that evaluated.</summary>
public sealed record TrainingProgress(int Step, int TotalSteps, double Loss, double? EvalLoss, double LearningRate, double TokensPerSecond);
