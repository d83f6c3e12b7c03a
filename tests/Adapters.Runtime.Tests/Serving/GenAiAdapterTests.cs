using Adapters.Core.Generation;
using Adapters.Runtime.Serving;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>ONNX Runtime GenAI runs the swappable export with our .onnx_adapter files and generates what our runtime generates.</summary>
[Collection(AdapterServingCollection.Name)]
public sealed class GenAiAdapterTests(AdapterExportFixture exports)
{
    const int NewTokens = 40;
    static readonly int[] Prompt = [1, 403, 407, 261, 378];

    [Theory]
    [InlineData("lora-a")]
    [InlineData("lora-b")]
    public void GenAi_WithOurAdapter_GreedyEqualsOurRuntime(string name)
    {
        var ortModel = exports.Swappable;
        var registry = AdapterRegistry.WithExportedAdapters(ortModel.Exported);
        using var adapted = new OnnxAdapterModel(ortModel, registry, name);
        var ours = TextGenerator.GenerateTokens(adapted, Prompt, NewTokens, SamplingOptions.Greedy).ToList();
        using var baseModel = new OnnxAdapterModel(ortModel, registry, null);
        var baseTokens = TextGenerator.GenerateTokens(baseModel, Prompt, NewTokens, SamplingOptions.Greedy).ToList();
        Assert.NotEqual(baseTokens, ours);

        using var model = new Model(ortModel.Exported.Folder);
        using var genaiAdapters = new Microsoft.ML.OnnxRuntimeGenAI.Adapters(model);
        genaiAdapters.LoadAdapter(AdapterExportFixture.AdapterFilePath(ortModel, name), name);
        using var parameters = new GeneratorParams(model);
        parameters.SetSearchOption("max_length", Prompt.Length + NewTokens);
        parameters.SetSearchOption("do_sample", false);
        using var generator = new Generator(model, parameters);
        generator.SetActiveAdapter(genaiAdapters, name);
        generator.AppendTokens(Prompt);
        while (!generator.IsDone()) generator.GenerateNextToken();
        var genai = generator.GetSequence(0).ToArray().Skip(Prompt.Length).ToList();

        Assert.True(genai.Count >= NewTokens - 5, $"GenAI stopped after {genai.Count} tokens");
        Assert.Equal(ours.Take(genai.Count), genai);
    }
}
