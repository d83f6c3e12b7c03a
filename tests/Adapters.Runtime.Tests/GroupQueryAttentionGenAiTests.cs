using System.Text.Json.Nodes;
using Adapters.Core.Generation;
using Adapters.TestSupport;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace Adapters.Runtime.Tests;

/// <summary>ONNX Runtime GenAI runs a GroupQueryAttention export with its shared past/present buffer and generates our greedy tokens.</summary>
public sealed class GroupQueryAttentionGenAiTests
{
    static readonly int[] Prompt = [1, 5, 96, 40, 0, 13, 7, 7, 60, 2, 33, 81];
    const int NewTokens = 24;

    public static TheoryData<string> Families => [.. TinyFamilies.Names];

    [Theory]
    [MemberData(nameof(Families))]
    public void GenAi_shares_the_cache_buffer_and_generates_our_greedy_tokens(string family)
    {
        var weights = TinyFamilies.Weights(family);
        using var export = new TempExport(weights, GroupQueryAttentionTests.GqaOptions);
        var search = JsonNode.Parse(File.ReadAllText(Path.Combine(export.Folder, "genai_config.json")))!["search"]!;
        Assert.True((bool)search["past_present_share_buffer"]!);

        using var ours = export.Load();
        var tokens = TextGenerator.GenerateTokens(ours, Prompt, NewTokens, SamplingOptions.Greedy).ToList();

        using var model = new Model(export.Folder);
        using var parameters = new GeneratorParams(model);
        parameters.SetSearchOption("max_length", Prompt.Length + NewTokens);
        parameters.SetSearchOption("do_sample", false);
        using var generator = new Generator(model, parameters);
        generator.AppendTokens(Prompt);
        while (!generator.IsDone()) generator.GenerateNextToken();
        var genai = generator.GetSequence(0).ToArray().Skip(Prompt.Length).Select(t => (int)t).ToList();

        Assert.True(genai.Count > 0, $"{family}: GenAI produced no token");
        Assert.Equal(tokens.Take(genai.Count), genai);
    }
}
