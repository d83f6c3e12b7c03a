using Adapters.Core.Tokenizers;
using Adapters.Core.Adapters;
using Adapters.Core.Model;
using Adapters.TestSupport;
using Adapters.Training.Methods;
using Adapters.Training.Model;
using Adapters.Training.Tests.Support;
using Adapters.Training.Trainer;
using Xunit.Abstractions;

namespace Adapters.Training.Tests;

/// <summary>A run killed after a checkpoint and resumed by a fresh trainer ends exactly where an uninterrupted run does.</summary>
public class ResumeTests(ITestOutputHelper output) : IDisposable
{
    const int Steps = 10, CheckpointStep = 5;
    const double LossTolerance = 1e-5;

    readonly string _folder = SharedModels.NewTempFolder("adapter-resume");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    /// <summary>Dropout and gradient accumulation on, so data order, dropout masks and optimizer state all have to be restored.</summary>
    static TrainerOptions Options(string? outputDir, bool resume) => new()
    {
        Steps = Steps, BatchSize = 4, GradAccum = 2, LearningRate = 1e-2, WarmupSteps = 2, Seed = 21, Threads = 2,
        CheckpointEvery = outputDir is null ? 0 : CheckpointStep, OutputDir = outputDir, Resume = resume,
    };

    static TrainingResult Run(TrainerOptions options, CancellationTokenSource? killAtCheckpoint = null)
    {
        var weights = TestModels.Stories260K();
        var (train, eval) = TaskData.SecretWord();
        using var model = LlamaModel.FromWeights(weights);
        using var method = AdapterMethodRegistry.Create(AdapterMethods.Lora,
            new LoraConfig { Rank = 4, Alpha = 8, Dropout = 0.1f, TargetModules = ["q_proj", "v_proj"] }, model.Config, seed: options.Seed);
        var trainer = new AdapterTrainer(model, method, TokenizerLoader.Load(SharedModels.Tok512, 512), options, ModelFingerprint.Of(weights));
        return trainer.Train(train, eval, p => { if (p.Step == CheckpointStep) killAtCheckpoint?.Cancel(); }, killAtCheckpoint?.Token ?? default);
    }

    [Fact]
    public void ResumedRun_EndsAtTheSameLossAsAnUninterruptedOne()
    {
        var uninterrupted = Run(Options(null, resume: false));

        using var kill = new CancellationTokenSource();
        Assert.Throws<OperationCanceledException>(() => Run(Options(_folder, resume: false), kill));
        var resumed = Run(Options(_folder, resume: true));

        output.WriteLine($"uninterrupted: loss {uninterrupted.FinalLoss:F7}, eval {uninterrupted.FinalEvalLoss:F7}; resumed from step {resumed.ResumedFromStep}: loss {resumed.FinalLoss:F7}, eval {resumed.FinalEvalLoss:F7}");
        Assert.Equal(CheckpointStep, resumed.ResumedFromStep);
        Assert.InRange(Math.Abs(resumed.FinalLoss - uninterrupted.FinalLoss), 0, LossTolerance);
        Assert.InRange(Math.Abs(resumed.FinalEvalLoss!.Value - uninterrupted.FinalEvalLoss!.Value), 0, LossTolerance);
    }
}
