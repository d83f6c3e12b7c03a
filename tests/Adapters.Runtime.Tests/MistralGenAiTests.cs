using Adapters.Core.Checkpoints;
using Adapters.Core.Generation;
using Adapters.Core.Model;
using Adapters.TestSupport;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace Adapters.Runtime.Tests;

/// <summary>A Mistral-family export says model.type "mistral", ONNX Runtime GenAI runs it, and its greedy tokens equal ours and the reference's.</summary>
public sealed class MistralGenAiTests
{
    const int NewTokens = 24;

    [Fact]
    public void GenAi_runs_a_mistral_export_and_generates_our_greedy_tokens()
    {
        var weights = RandomCheckpoint.Create(ModelShapes.Get("260K") with { Family = ModelFamilies.Mistral }, seed: 11);
        using var export = new TempExport(weights);
        Assert.Contains("\"type\": \"mistral\"", File.ReadAllText(Path.Combine(export.Folder, "genai_config.json")));
        using var ours = export.Load();
        var tokens = TextGenerator.GenerateTokens(ours, [1], NewTokens, SamplingOptions.Greedy).ToList();

        var reference = new ReferenceLlama(weights);
        var expected = new List<int>();
        int next = 1;
        for (int i = 0; i < NewTokens; i++)
        {
            var logits = reference.Step(next);
            next = Array.IndexOf(logits, logits.Max());
            expected.Add(next);
        }
        Assert.Equal(expected, tokens);

        using var model = new Model(export.Folder);
        using var parameters = new GeneratorParams(model);
        parameters.SetSearchOption("max_length", 1 + NewTokens);
        parameters.SetSearchOption("do_sample", false);
        using var generator = new Generator(model, parameters);
        generator.AppendTokens([1]);
        while (!generator.IsDone()) generator.GenerateNextToken();
        var genai = generator.GetSequence(0).ToArray().Skip(1).Select(t => (int)t).ToList();
        Assert.True(genai.Count > 0);
        Assert.Equal(tokens.Take(genai.Count), genai);
    }
}
