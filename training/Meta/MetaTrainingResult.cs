namespace Adapters.Training.Meta;

/// <summary>The outcome of <see cref="MetaTrainer.MetaTrain"/>.</summary>
/// <param name="FinalAdaptedLoss">Mean support loss of the last outer step's tasks after their inner steps.</param>
public sealed record MetaTrainingResult(int OuterSteps, double FinalAdaptedLoss, double Seconds);
