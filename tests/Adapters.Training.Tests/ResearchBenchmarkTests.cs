using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.TestSupport;
using Adapters.Training.Benchmarks;
using Adapters.Training.Compression;
using Adapters.Training.Tests.Support;
using Adapters.Training.Trainer;
using Xunit.Abstractions;

namespace Adapters.Training.Tests;

/// <summary>The research comparison runs every default config on one task, and SFSD's comparison covers both modes.</summary>
public class ResearchBenchmarkTests(ITestOutputHelper output)
{
    [Fact]
    public void DefaultConfigs_OnColorRecall_AllBeatTheBaseModel()
    {
        var (train, eval) = TaskData.ColorRecall();
        // Few steps keep the nine rows under a minute; the CLI runs the same API with real budgets.
        var options = new TrainerOptions { Steps = 6, BatchSize = 4, WarmupSteps = 1, Seed = 1, Threads = 2 };

        var rows = ResearchBenchmark.Run(TestModels.Stories260K(), TokenizerLoader.Load(SharedModels.Tok512, 512), train, eval, options,
            onRow: r => output.WriteLine($"{r.Method,-9} {r.Config,-24} lr {r.LearningRate:G2}  trainable {r.TrainableParameters,7} changed {r.ChangedParameters,7}  eval {r.BaseEvalLoss:F3} → {r.FinalEvalLoss:F3}  {r.TokensPerSecond,6:F0} tok/s"));

        Assert.Equal(ResearchBenchmark.DefaultConfigs.Count, rows.Count);
        Assert.All(rows, r => Assert.True(r.FinalEvalLoss < r.BaseEvalLoss, $"{r.Method} {r.Config} did not learn"));
    }

    [Fact]
    public void SfsdComparison_OnStories260K_AndARandom15MShape_CoversBothModesAtEqualRanks()
    {
        var tokenizer = TokenizerLoader.Load(SharedModels.Tok512, 512);
        var calibration = tokenizer.Encode(File.ReadAllText(TaskData.PathOf("stories_calibration.txt")), addBos: true);
        var heldOut = tokenizer.Encode(File.ReadAllText(TaskData.PathOf("stories_heldout.txt")), addBos: true);
        void Print(string model, SfsdComparisonRow r) =>
            output.WriteLine($"{model,-11} f={r.RankFraction:F2} {r.Mode,-7} params {r.ProjectionParametersBefore,9} → {r.ProjectionParametersAfter,9}  ppl {r.BasePerplexity:F2} → {r.Perplexity:F2}");

        var stories = ResearchBenchmark.CompareSfsd(TestModels.Stories260K(), calibration, heldOut, [0.25, 0.5], threads: 2, onRow: r => Print("stories260K", r));
        // A random 15M model (vocabulary 32000): small calibration of 64 random tokens, 32 held out.
        var random = new Random(5);
        var shape = ModelShapes.Get("15M");
        int[] RandomTokens(int n) => Enumerable.Range(0, n).Select(_ => random.Next(shape.VocabSize)).ToArray();
        var random15M = ResearchBenchmark.CompareSfsd(RandomCheckpoint.Create(shape, seed: 1), RandomTokens(64), RandomTokens(32), [0.5], windowLength: 32, threads: 2, onRow: r => Print("random 15M", r));

        Assert.Equal(4, stories.Count);
        Assert.Equal(2, random15M.Count);
        foreach (var pair in stories.Chunk(2)) Assert.True(pair[0].Perplexity < pair[1].Perplexity, $"feature {pair[0].Perplexity:F2} vs weight {pair[1].Perplexity:F2} at f={pair[0].RankFraction}");
    }
}
