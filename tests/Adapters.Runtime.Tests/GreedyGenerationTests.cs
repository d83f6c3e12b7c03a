using Adapters.Core.Generation;
using Adapters.TestSupport;

namespace Adapters.Runtime.Tests;

/// <summary>The shared generation loop over the ONNX engine picks the same tokens as the reference.</summary>
[Collection(Stories260KCollection.Name)]
public sealed class GreedyGenerationTests(Stories260KExportFixture stories)
{
    const int BosToken = 1;
    const int NewTokens = 60;

    [Fact]
    public void Stories260K_GreedyFromBos_EqualsReferenceTokens()
    {
        var reference = new ReferenceLlama(stories.Export.Weights);
        var expected = new List<int>();
        float[] logits = reference.Step(BosToken);
        for (int i = 0; i < NewTokens; i++)
        {
            int next = Sampler.ArgMax(logits);
            expected.Add(next);
            logits = reference.Step(next);
        }

        var actual = TextGenerator.GenerateTokens(stories.Model, [BosToken], NewTokens, SamplingOptions.Greedy).ToList();

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Stories260K_GreedyFromBos_SpellsLlama2cKnownOpening()
    {
        var tokens = TextGenerator.GenerateTokens(stories.Model, [BosToken], NewTokens, SamplingOptions.Greedy).ToList();

        string text = Tok512.Decode(tokens);

        Assert.True(text.Length > 100, $"only '{text}'");
        Assert.StartsWith(text, SharedModels.Stories260KGreedyOpening);
    }
}
