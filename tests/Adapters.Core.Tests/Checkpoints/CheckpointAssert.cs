using System.Runtime.InteropServices;
using Adapters.Core.Model;

namespace Adapters.Core.Tests.Checkpoints;

/// <summary>Comparisons of whole weight sets, tensor by tensor, naming the first difference.</summary>
static class CheckpointAssert
{
    /// <summary>A small shape with grouped-query attention, so k/v differ from q in size.</summary>
    public static LlamaConfig SmallConfig(bool sharedClassifier = true) => new()
    {
        Dim = 32, HiddenDim = 48, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, VocabSize = 40, MaxSeqLen = 16,
        SharedClassifier = sharedClassifier,
    };

    public static void BitIdentical(LlamaWeights expected, LlamaWeights actual)
    {
        Assert.Equal(expected.Config, actual.Config);
        foreach (var (name, _) in LlamaWeights.ExpectedShapes(expected.Config))
        {
            Assert.Equal(expected[name].Shape, actual[name].Shape);
            var e = MemoryMarshal.Cast<float, int>(expected[name].Data.AsSpan()).ToArray();
            var a = MemoryMarshal.Cast<float, int>(actual[name].Data.AsSpan()).ToArray();
            Assert.True(e.AsSpan().SequenceEqual(a), $"tensor '{name}' differs");
        }
    }

    /// <summary>|a − e| ≤ relative·|e| + absolute for every element.</summary>
    public static void Close(LlamaWeights expected, LlamaWeights actual, float relative, float absolute)
    {
        Assert.Equal(expected.Config, actual.Config);
        foreach (var (name, _) in LlamaWeights.ExpectedShapes(expected.Config))
        {
            float[] e = expected[name].Data, a = actual[name].Data;
            Assert.Equal(e.Length, a.Length);
            for (int i = 0; i < e.Length; i++)
                if (!(Math.Abs(a[i] - e[i]) <= relative * Math.Abs(e[i]) + absolute))
                    Assert.Fail($"tensor '{name}'[{i}]: {a[i]} vs {e[i]} exceeds {relative}·|x| + {absolute}");
        }
    }
}
