using Adapters.Core.Model;
using Adapters.Training.Engine;
using TorchSharp;
using Xunit.Abstractions;

namespace Adapters.Training.Tests;

/// <summary>The TorchSharp engine computes the same logits as the naive reference forward.</summary>
public class EngineMatchesReferenceTests(ITestOutputHelper output)
{
    /// <summary>float32 engine against the reference's double accumulators: rounding differences only.</summary>
    const float ReferenceTolerance = 1e-4f;

    static readonly int[] ShortPrompt = [1, 403, 407, 261, 378];

    float MaxDifference(LlamaWeights weights, int[] prompt, int decodeSteps, torch.ScalarType dtype = torch.ScalarType.Float32)
    {
        var expected = LogitRuns.Reference(weights, prompt, decodeSteps);
        using var engine = TorchDecoderModel.FromWeights(weights, dtype);
        using var session = engine.StartSession();
        var actual = LogitRuns.Session(session, expected.Tokens, prompt.Length);
        float difference = LogitRuns.MaxAbsDifference(expected.Logits, actual);
        output.WriteLine($"max |logit difference| = {difference:E2} over {actual.Count} positions");
        return difference;
    }

    [Fact]
    public void Stories260K_PrefillThen16DecodeSteps_MatchesReference()
    {
        Assert.InRange(MaxDifference(TestModels.Stories260K(), ShortPrompt, decodeSteps: 16), 0, ReferenceTolerance);
    }

    [Fact]
    public void RandomModelWithGroupedQueryAttentionAndSeparateClassifier_MatchesReference()
    {
        var weights = TestModels.Random(TestModels.GqaSeparateClassifier);
        Assert.InRange(MaxDifference(weights, [1, 5, 17, 42, 96, 3], decodeSteps: 16), 0, ReferenceTolerance);
    }

    [Fact]
    public void Shape15M_PrefillThenDecodeSteps_MatchesReference()
    {
        // The reference is naive (~25M multiply-adds per token in C#): a few steps keep this quick.
        var weights = TestModels.Random(ModelShapes.Get("15M"));
        Assert.InRange(MaxDifference(weights, [1, 9038, 2501], decodeSteps: 3), 0, ReferenceTolerance);
    }

    [Fact]
    public void Float64Engine_MatchesReference()
    {
        Assert.InRange(MaxDifference(TestModels.Stories260K(), ShortPrompt, decodeSteps: 8, torch.ScalarType.Float64), 0, ReferenceTolerance);
    }
}
