namespace Adapters.Runtime.Tests;

/// <summary>Runtime settings shared by the tests: two threads (the CI machines have two cores), quiet logging.</summary>
public static class TestRuntime
{
    public static readonly OnnxRuntimeOptions Options = new() { IntraOpThreads = 2, Log = _ => { } };

    /// <summary>fp32 ONNX Runtime against the double-accumulating reference: float rounding only.</summary>
    public const float LogitTolerance = 1e-4f;

    public static float MaxAbsDiff(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual)
    {
        Assert.Equal(expected.Length, actual.Length);
        float max = 0;
        for (int i = 0; i < expected.Length; i++) max = Math.Max(max, Math.Abs(expected[i] - actual[i]));
        return max;
    }

    public static void AssertClose(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        float diff = MaxAbsDiff(expected, actual);
        Assert.True(diff <= LogitTolerance, $"{what}: max |Δlogit| = {diff:G3} > {LogitTolerance:G3}");
    }
}
