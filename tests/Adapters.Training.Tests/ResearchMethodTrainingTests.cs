using Adapters.Core.Adapters;
using Adapters.Training.Tests.Support;
using Xunit.Abstractions;

namespace Adapters.Training.Tests;

/// <summary>Each research method learns the secret-word task on stories260K: held-out loss clearly below the base model's.</summary>
public class ResearchMethodTrainingTests(ResearchRuns runs, ITestOutputHelper output) : IClassFixture<ResearchRuns>
{
    /// <summary>Trained held-out loss at most this fraction of the base model's (measured 0.05–0.3 after 40 steps).</summary>
    const double LossRatioLimit = 0.5;

    public static TheoryData<string> Methods => [.. ResearchRuns.Configs.Keys];

    [Theory]
    [MemberData(nameof(Methods))]
    public void HeldOutLoss_DropsClearlyBelowTheBaseModel(string method)
    {
        var run = runs.Get(method);
        output.WriteLine($"{method}: base held-out loss {run.BaseEvalLoss:F3}, trained {run.Result.FinalEvalLoss:F3}, {run.Result.TrainableParameters} parameters, {run.Result.TokensPerSecond:F0} tokens/s");
        Assert.InRange(run.Result.FinalEvalLoss!.Value, 0, LossRatioLimit * run.BaseEvalLoss);
    }
}
