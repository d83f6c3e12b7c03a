using Adapters.Core.Generation;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace Adapters.Runtime.Tests;

/// <summary>ONNX Runtime GenAI runs the exported folder as it is and generates what our runtime generates.</summary>
[Collection(Stories260KCollection.Name)]
public sealed class GenAiCompatibilityTests(Stories260KExportFixture stories)
{
    const int BosToken = 1;
    const int NewTokens = 64;

    [Fact]
    public void GenAi_GreedyFromBos_EqualsOurRuntime()
    {
        var ours = TextGenerator.GenerateTokens(stories.Model, [BosToken], NewTokens, SamplingOptions.Greedy).ToList();

        using var model = new Model(stories.Export.Folder);
        using var parameters = new GeneratorParams(model);
        parameters.SetSearchOption("max_length", 1 + NewTokens);
        parameters.SetSearchOption("do_sample", false);
        using var generator = new Generator(model, parameters);
        generator.AppendTokens([BosToken]);
        while (!generator.IsDone()) generator.GenerateNextToken();
        var genai = generator.GetSequence(0).ToArray().Skip(1).ToList(); // drop the prompt

        Assert.True(genai.Count >= 60, $"GenAI stopped after {genai.Count} tokens");
        Assert.Equal(ours.Take(genai.Count), genai);
    }
}
