using Adapters.TestSupport;
using Adapters.Core.Tokenizers;
using Adapters.Training.Benchmarks;
using Adapters.Training.Tests.Support;
using Adapters.Training.Trainer;
using Xunit.Abstractions;

namespace Adapters.Training.Tests;

/// <summary>The method comparison runs every default config on one task and every row learns.</summary>
public class TrainingBenchmarkTests(ITestOutputHelper output)
{
    [Fact]
    public void DefaultConfigs_OnColorRecall_AllBeatTheBaseModel()
    {
        var (train, eval) = TaskData.ColorRecall();
        var options = new TrainerOptions { Steps = 40, BatchSize = 8, LearningRate = 1e-2, WarmupSteps = 4, Seed = 1, Threads = 2 };

        var rows = TrainingBenchmark.Run(TestModels.Stories260K(), TokenizerLoader.Load(SharedModels.Tok512, 512), train, eval, options);

        foreach (var r in rows)
            output.WriteLine($"{r.Method,-7} {r.Config,-34} params {r.TrainableParameters,6}  eval {r.BaseEvalLoss:F3} → {r.FinalEvalLoss:F3}  {r.TokensPerSecond,7:F0} tok/s  {r.Seconds:F1} s");
        Assert.Equal(TrainingBenchmark.DefaultConfigs.Count, rows.Count);
        Assert.All(rows, r => Assert.True(r.FinalEvalLoss < r.BaseEvalLoss, $"{r.Method} {r.Config} did not learn"));
    }
}
