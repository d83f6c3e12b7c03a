using System.Text.Json.Nodes;
using Adapters.Core.Generation;
using Adapters.TestSupport;
using Microsoft.ML.OnnxRuntimeGenAI;

namespace Adapters.Runtime.Tests;

/// <summary>
/// Every family's features in the exported graph: ONNX Runtime logits equal the independent
/// reference over a prefill and 16 decode steps, GenAI reads the family's genai_config.json and
/// generates our greedy tokens, and turning the feature off changes the tokens (so the
/// comparisons above could fail).
/// </summary>
public sealed class FamilyExportTests
{
    const int DecodeSteps = 16, NewTokens = 24;
    static readonly int[] Prompt = [1, 5, 96, 40, 0, 13, 7, 7, 60, 2, 33, 81];

    public static TheoryData<string> Families => [.. TinyFamilies.Names];

    [Theory]
    [MemberData(nameof(Families))]
    public void Onnx_PrefillAndSixteenDecodeSteps_MatchReference(string family)
    {
        var weights = TinyFamilies.Weights(family);
        using var export = new TempExport(weights);
        using var model = export.Load();
        var reference = new ReferenceLlama(weights);
        int vocab = weights.Config.VocabSize;
        using var session = model.StartSession();

        float[] prefill = session.Forward(Prompt);
        float[] expected = [];
        for (int i = 0; i < Prompt.Length; i++)
        {
            expected = reference.Step(Prompt[i]);
            TestRuntime.AssertClose(expected, prefill.AsSpan(i * vocab, vocab), $"{family} prefill token {i}");
        }
        for (int step = 0; step < DecodeSteps; step++)
        {
            int next = Sampler.ArgMax(expected);
            float[] actual = session.Forward([next]);
            expected = reference.Step(next);
            TestRuntime.AssertClose(expected, actual, $"{family} decode step {step}");
        }
    }

    [Theory]
    [MemberData(nameof(Families))]
    public void GenAi_RunsTheFamilysExport_AndGeneratesOurGreedyTokens(string family)
    {
        var weights = TinyFamilies.Weights(family);
        using var export = new TempExport(weights);
        var decoder = JsonNode.Parse(File.ReadAllText(Path.Combine(export.Folder, "genai_config.json")))!["model"]!;
        Assert.Equal(weights.Config.Family, (string?)decoder["type"]);
        Assert.Equal(weights.Config.HeadSize, (int)decoder["decoder"]!["head_size"]!);

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

        // GenAI stops at its eos_token_id (2) like ours; both must produce the same tokens up to there.
        Assert.True(genai.Count > 0, $"{family}: GenAI produced no token");
        Assert.Equal(tokens.Take(genai.Count), genai);
    }

    [Theory]
    [InlineData(TinyFamilies.Llama3)]
    [InlineData(TinyFamilies.LlamaBias)]
    [InlineData(TinyFamilies.Qwen2)]
    [InlineData(TinyFamilies.Qwen3)]
    public void TurningTheFeatureOff_ChangesTheGreedyTokens(string family)
    {
        var weights = TinyFamilies.Weights(family);
        using var with = new TempExport(weights);
        using var without = new TempExport(TinyFamilies.WithoutFeature(weights));
        using var a = with.Load();
        using var b = without.Load();

        var tokensWith = TextGenerator.GenerateTokens(a, Prompt, NewTokens, SamplingOptions.Greedy).ToList();
        var tokensWithout = TextGenerator.GenerateTokens(b, Prompt, NewTokens, SamplingOptions.Greedy).ToList();

        Assert.NotEqual(tokensWith, tokensWithout);
    }
}
