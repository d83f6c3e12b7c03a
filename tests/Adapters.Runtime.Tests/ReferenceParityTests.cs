using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.TestSupport;

namespace Adapters.Runtime.Tests;

/// <summary>ONNX Runtime logits of the exported graph equal the naive reference forward, prefill and decode.</summary>
[Collection(Stories260KCollection.Name)]
public sealed class ReferenceParityTests(Stories260KExportFixture stories)
{
    /// <summary>Small, but with every feature the graph must get right: grouped-query attention (4 query heads per KV head) and an untied classifier.</summary>
    static readonly LlamaConfig GqaConfig = new()
    {
        Dim = 48, HiddenDim = 96, NumLayers = 2, NumHeads = 8, NumKvHeads = 2, VocabSize = 97, MaxSeqLen = 64,
        SharedClassifier = false, NormEps = 1e-6f, RopeTheta = 500f,
    };

    [Fact]
    public void Stories260K_PrefillAndSixteenDecodeSteps_MatchReference() =>
        AssertMatchesReference(stories.Model, stories.Export.Weights, prompt: [1, 403, 407, 261, 378], decodeSteps: 16);

    [Fact]
    public void RandomGqaWithSeparateClassifier_PrefillAndSixteenDecodeSteps_MatchReference()
    {
        using var export = new TempExport(RandomCheckpoint.Create(GqaConfig, seed: 7));
        using var model = export.Load();
        AssertMatchesReference(model, export.Weights, prompt: [1, 5, 96, 40, 0, 13], decodeSteps: 16);
    }

    [Fact]
    public void Shape15M_PrefillAndDecodeSteps_MatchReference()
    {
        using var export = new TempExport(RandomCheckpoint.Create(ModelShapes.Get("15M"), seed: 3));
        using var model = export.Load();
        AssertMatchesReference(model, export.Weights, prompt: [1, 31999, 450], decodeSteps: 3);
    }

    /// <summary>Prefills the prompt, then feeds back each greedy token; every logit row is compared.</summary>
    static void AssertMatchesReference(OnnxDecoderModel model, LlamaWeights weights, int[] prompt, int decodeSteps)
    {
        int vocab = weights.Config.VocabSize;
        var reference = new ReferenceLlama(weights);
        using var session = model.StartSession();

        float[] prefill = session.Forward(prompt);
        Assert.Equal(prompt.Length * vocab, prefill.Length);
        float[] expected = [];
        for (int i = 0; i < prompt.Length; i++)
        {
            expected = reference.Step(prompt[i]);
            TestRuntime.AssertClose(expected, prefill.AsSpan(i * vocab, vocab), $"prefill token {i}");
        }

        for (int step = 0; step < decodeSteps; step++)
        {
            int next = Adapters.Core.Generation.Sampler.ArgMax(expected);
            float[] actual = session.Forward([next]);
            expected = reference.Step(next);
            TestRuntime.AssertClose(expected, actual, $"decode step {step} (position {session.Position - 1})");
        }
        Assert.Equal(prompt.Length + decodeSteps, session.Position);
    }
}
