namespace Adapters.Training.Trainer;

/// <summary>
/// How an adapter is trained. One optimizer step consumes <see cref="GradAccum"/> micro-batches
/// of <see cref="BatchSize"/> examples. Learning rate: linear warmup from 0 to
/// <see cref="LearningRate"/> over <see cref="WarmupSteps"/>, then cosine decay to
/// LearningRate · <see cref="MinLearningRateRatio"/> at <see cref="Steps"/>.
/// </summary>
public sealed record TrainerOptions
{
    public int Steps { get; init; } = 100;
    public int BatchSize { get; init; } = 8;
    public int GradAccum { get; init; } = 1;
    /// <summary>Peak learning rate; 1e-3..4e-3 is typical for LoRA and ReFT on small models.</summary>
    public double LearningRate { get; init; } = 2e-3;
    public int WarmupSteps { get; init; } = 10;
    public double MinLearningRateRatio { get; init; } = 0.1;
    /// <summary>AdamW's decoupled weight decay; 0 by default because adapters start near zero or on a manifold.</summary>
    public double WeightDecay { get; init; }
    public double Beta1 { get; init; } = 0.9;
    public double Beta2 { get; init; } = 0.999;
    public double Epsilon { get; init; } = 1e-8;
    /// <summary>Global gradient-norm clip; 0 turns clipping off.</summary>
    public double MaxGradNorm { get; init; } = 1.0;
    /// <summary>Seeds parameter init, data order and dropout (each derived from the seed and the step).</summary>
    public int Seed { get; init; }
    /// <summary>Held-out loss every N steps (0: only after the last step).</summary>
    public int EvalEvery { get; init; }
    /// <summary>Checkpoint every N steps into OutputDir/checkpoint (0: none).</summary>
    public int CheckpointEvery { get; init; }
    /// <summary>Run folder: the final adapter goes to OutputDir/adapter, checkpoints to OutputDir/checkpoint; null writes nothing.</summary>
    public string? OutputDir { get; init; }
    /// <summary>Continue from OutputDir/checkpoint when it exists.</summary>
    public bool Resume { get; init; }
    /// <summary>libtorch CPU threads (null or 0: all cores).</summary>
    public int? Threads { get; init; }

    public TrainerOptions Validate()
    {
        if (Steps <= 0) throw new ArgumentException($"steps must be positive, got {Steps}");
        if (BatchSize <= 0) throw new ArgumentException($"batch size must be positive, got {BatchSize}");
        if (GradAccum <= 0) throw new ArgumentException($"gradient accumulation must be positive, got {GradAccum}");
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate)) throw new ArgumentException($"learning rate must be a positive number, got {LearningRate}");
        if (WarmupSteps < 0 || WarmupSteps > Steps) throw new ArgumentException($"warmup steps must be in [0, steps = {Steps}], got {WarmupSteps}");
        if (!(MinLearningRateRatio >= 0 && MinLearningRateRatio <= 1)) throw new ArgumentException($"min learning-rate ratio must be in [0, 1], got {MinLearningRateRatio}");
        if (!(WeightDecay >= 0)) throw new ArgumentException($"weight decay must be >= 0, got {WeightDecay}");
        if (!(Beta1 >= 0 && Beta1 < 1)) throw new ArgumentException($"beta1 must be in [0, 1), got {Beta1}");
        if (!(Beta2 >= 0 && Beta2 < 1)) throw new ArgumentException($"beta2 must be in [0, 1), got {Beta2}");
        if (!(Epsilon > 0)) throw new ArgumentException($"epsilon must be positive, got {Epsilon}");
        if (!(MaxGradNorm >= 0)) throw new ArgumentException($"max gradient norm must be >= 0 (0 = off), got {MaxGradNorm}");
        if (EvalEvery < 0) throw new ArgumentException($"eval-every must be >= 0 (0 = at the end only), got {EvalEvery}");
        if (CheckpointEvery < 0) throw new ArgumentException($"checkpoint-every must be >= 0 (0 = never), got {CheckpointEvery}");
        if (CheckpointEvery > 0 && OutputDir is null) throw new ArgumentException($"checkpoint-every {CheckpointEvery} needs an output folder");
        if (Resume && OutputDir is null) throw new ArgumentException("resume needs the output folder of the run to continue");
        if (Threads is < 0) throw new ArgumentException($"threads must be >= 0 (0 = all cores), got {Threads}");
        return this;
    }

    /// <summary>Learning rate of optimizer step <paramref name="step"/> (1-based).</summary>
    public double LearningRateAt(int step)
    {
        if (WarmupSteps > 0 && step <= WarmupSteps) return LearningRate * step / WarmupSteps;
        int decaySteps = Steps - WarmupSteps;
        double progress = decaySteps == 0 ? 1 : Math.Clamp((double)(step - WarmupSteps) / decaySteps, 0, 1);
        double cosine = 0.5 * (1 + Math.Cos(Math.PI * progress));
        return LearningRate * (MinLearningRateRatio + (1 - MinLearningRateRatio) * cosine);
    }
}
