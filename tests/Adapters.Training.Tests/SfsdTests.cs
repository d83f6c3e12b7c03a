using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.TestSupport;
using Adapters.Training.Compression;
using Adapters.Training.Tests.Support;
using Xunit.Abstractions;

namespace Adapters.Training.Tests;

/// <summary>
/// SFSD compression of stories260K: feature-space beats weight-space at the same ranks, the
/// greedy search stays within its perplexity budget, the compressed checkpoint reloads to the
/// same perplexity, and an unmeetable budget fails clearly.
/// </summary>
public class SfsdTests(ITestOutputHelper output) : IDisposable
{
    readonly string _folder = SharedModels.NewTempFolder("sfsd");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    static (LlamaWeights Weights, IReadOnlyList<int> Calibration, IReadOnlyList<int> HeldOut) Stories()
    {
        var tokenizer = TokenizerLoader.Load(SharedModels.Tok512, 512);
        return (TestModels.Stories260K(),
            tokenizer.Encode(File.ReadAllText(TaskData.PathOf("stories_calibration.txt")), addBos: true),
            tokenizer.Encode(File.ReadAllText(TaskData.PathOf("stories_heldout.txt")), addBos: true));
    }

    [Fact]
    public void FeatureSpace_BeatsWeightSpace_InPerplexity_AtTheSameRanks()
    {
        var (weights, calibration, heldOut) = Stories();
        // Half of each projection's break-even rank (of the weight mode, so both store the same U and V).
        int? Half(int l, string p, int m, int n) => Math.Max(1, SfsdCompressor.MaxUsefulRank(m, n, SfsdMode.Weight) / 2);

        var feature = SfsdCompressor.CompressAtRanks(weights, calibration, heldOut, SfsdMode.Feature, Half, threads: 2);
        var weight = SfsdCompressor.CompressAtRanks(weights, calibration, heldOut, SfsdMode.Weight, Half, threads: 2);

        output.WriteLine($"base perplexity {feature.BasePerplexity:F3}; feature {feature.Perplexity:F3} ({feature.ProjectionParametersAfter} params incl. biases), weight {weight.Perplexity:F3} ({weight.ProjectionParametersAfter} params) of {feature.ProjectionParametersBefore}");
        Assert.True(feature.Perplexity < weight.Perplexity, $"feature {feature.Perplexity:F3} not below weight {weight.Perplexity:F3}");
    }

    [Fact]
    public void GreedySearch_StaysWithinBudget_AndTheSavedCheckpointReloadsToTheSamePerplexity()
    {
        var (weights, calibration, heldOut) = Stories();
        var options = new SfsdOptions { Mode = SfsdMode.Feature, PerplexityBudget = 0.1, RankSteps = 4, Threads = 2 };

        var result = SfsdCompressor.Compress(weights, calibration, heldOut, options);

        foreach (var r in result.Layers)
            output.WriteLine($"layer {r.Layer} {r.Projection,-9} rank {(r.Rank?.ToString() ?? "dense"),5}  params {r.DenseParameters,6} → {r.StoredParameters,6}  ppl {r.Perplexity:F3}");
        output.WriteLine($"perplexity {result.BasePerplexity:F3} → {result.Perplexity:F3}; projection parameters {result.ProjectionParametersBefore} → {result.ProjectionParametersAfter} ({result.ParameterRatio:P1})");
        Assert.InRange(result.Perplexity, 0, result.BasePerplexity * 1.1);
        Assert.True(result.ParameterRatio < 1, "nothing was compressed");
        Assert.Equal(result.Layers.Count(r => r.Rank is not null), result.Weights.Factorized.Count);

        HfCheckpoint.Write(result.Weights, _folder + "/c");
        var reloaded = CheckpointLoader.Load(_folder + "/c");
        Assert.Equal(result.Weights.Factorized.Count, reloaded.Factorized.Count);
        using var model = CompressedModel.Load(reloaded);
        Assert.Equal(result.Perplexity, SfsdCompressor.Perplexity(model, heldOut), 3);
    }

    [Fact]
    public void UnmeetableBudget_FailsNamingTheBudgetAndTheTarget()
    {
        var (weights, calibration, heldOut) = Stories();
        var options = new SfsdOptions { PerplexityBudget = 0.001, TargetParameterRatio = 0.2, RankSteps = 2, Threads = 2 };

        var e = Assert.Throws<ArgumentException>(() => SfsdCompressor.Compress(weights, calibration, heldOut, options));

        output.WriteLine(e.Message);
        Assert.Contains("cannot be met", e.Message);
        Assert.Contains("20.0", e.Message);
    }

    [Fact]
    public void NegativeBudget_IsRefused() =>
        Assert.Contains("got -0.1", Assert.Throws<ArgumentException>(() => new SfsdOptions { PerplexityBudget = -0.1 }.Validate()).Message);
}
