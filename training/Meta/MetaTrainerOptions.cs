namespace Adapters.Training.Meta;

/// <summary>How <see cref="MetaTrainer"/> learns an adapter initialisation.</summary>
public sealed record MetaTrainerOptions
{
    public MetaAlgorithm Algorithm { get; init; } = MetaAlgorithm.Reptile;
    /// <summary>Outer (Adam) steps; each visits <see cref="TasksPerStep"/> tasks in turn.</summary>
    public int OuterSteps { get; init; } = 30;
    public int TasksPerStep { get; init; } = 1;
    /// <summary>SGD steps on one task's support set, from the current initialisation.</summary>
    public int InnerSteps { get; init; } = 4;
    /// <summary>Plain SGD step size of the inner loop (adaptation).</summary>
    public double InnerLearningRate { get; init; } = 0.5;
    /// <summary>Adam step size on the initialisation.</summary>
    public double OuterLearningRate { get; init; } = 1e-2;
    /// <summary>
    /// Inner steps clip the gradient to this global norm (0: off). Plain SGD on TARP's
    /// multiplicative and per-token terms otherwise takes runaway steps on a task's first batches.
    /// </summary>
    public double InnerMaxGradNorm { get; init; } = 1.0;
    public int BatchSize { get; init; } = 8;
    public int Seed { get; init; }
    /// <summary>libtorch CPU threads (null or 0: all cores).</summary>
    public int? Threads { get; init; }

    public MetaTrainerOptions Validate()
    {
        if (OuterSteps <= 0) throw new ArgumentException($"outer steps must be positive, got {OuterSteps}");
        if (TasksPerStep <= 0) throw new ArgumentException($"tasks per step must be positive, got {TasksPerStep}");
        if (InnerSteps <= 0) throw new ArgumentException($"inner steps must be positive, got {InnerSteps}");
        if (!(InnerLearningRate > 0) || double.IsInfinity(InnerLearningRate)) throw new ArgumentException($"inner learning rate must be a positive number, got {InnerLearningRate}");
        if (!(OuterLearningRate > 0) || double.IsInfinity(OuterLearningRate)) throw new ArgumentException($"outer learning rate must be a positive number, got {OuterLearningRate}");
        if (!(InnerMaxGradNorm >= 0)) throw new ArgumentException($"inner max gradient norm must be >= 0 (0 = off), got {InnerMaxGradNorm}");
        if (BatchSize <= 0) throw new ArgumentException($"batch size must be positive, got {BatchSize}");
        if (Threads is < 0) throw new ArgumentException($"threads must be >= 0 (0 = all cores), got {Threads}");
        return this;
    }
}
