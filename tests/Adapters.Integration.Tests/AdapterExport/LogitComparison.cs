using Adapters.Core.Generation;

namespace Adapters.Integration.Tests.AdapterExport;

/// <summary>Runs two engines over the same prompt and decode tokens and reports the largest logit difference.</summary>
static class LogitComparison
{
    /// <summary>fp32 engines against each other: float rounding only (the bound EngineAgreementTests uses).</summary>
    public const float Tolerance = 1e-4f;

    public static readonly int[] Prompt = [1, 403, 407, 261, 378, 300, 271, 380]; // BOS "Once upon a time ..." in tok512
    const int DecodeSteps = 12;

    public static float MaxAbsDiff(IDecoderModel expected, IDecoderModel actual)
    {
        using var a = expected.StartSession();
        using var b = actual.StartSession();
        float worst = MaxAbsDiff(a.Forward(Prompt), b.Forward(Prompt));
        var rng = new Random(5);
        for (int step = 0; step < DecodeSteps; step++)
        {
            int token = rng.Next(3, expected.Config.VocabSize);
            worst = Math.Max(worst, MaxAbsDiff(a.Forward([token]), b.Forward([token])));
        }
        return worst;
    }

    public static float MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        float worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        return worst;
    }

    public static List<int> Greedy(IDecoderModel model, int tokens = 40) =>
        TextGenerator.GenerateTokens(model, Prompt, tokens, SamplingOptions.Greedy).ToList();

    /// <summary>Logits agree; greedy tokens agree; and the adapter really changes the base model's logits.</summary>
    public static void AssertParity(IDecoderModel torch, IDecoderModel onnx, IDecoderModel plain)
    {
        float diff = MaxAbsDiff(torch, onnx);
        Assert.True(diff <= Tolerance, $"max |torch - onnx| = {diff:E2} > {Tolerance:E0}");
        Assert.True(MaxAbsDiff(plain, onnx) > 100 * Tolerance, "the adapter does not change the logits");
        Assert.Equal(Greedy(torch), Greedy(onnx));
    }
}
