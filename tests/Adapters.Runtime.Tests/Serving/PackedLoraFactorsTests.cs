using Adapters.Core.Exported;
using Adapters.Core.Model;
using Adapters.Export.AdapterExport;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>A projection group's packed LoRA inputs compute, slice by slice, each member's own update.</summary>
public sealed class PackedLoraFactorsTests
{
    static readonly LlamaConfig Config = new() { Dim = 12, HiddenDim = 20, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, VocabSize = 32, MaxSeqLen = 16 };

    [Fact]
    public void PackedUpdate_EqualsEachMembersUpdate_AndZeroForMembersWithout()
    {
        var rng = new Random(3);
        var group = ProjectionGroup.Qkv;
        // q with rank 3, v with rank 2, k without an update (its slice must stay zero).
        var members = new Dictionary<string, (TensorData A, TensorData B)>
        {
            ["q_proj"] = Factors(rng, "q_proj", 3),
            ["v_proj"] = Factors(rng, "v_proj", 2),
        };
        var packed = PackedLoraFactors.Pack(Config, 1, group, members).ToDictionary(t => t.Name);
        var a = packed[AdapterInputNames.LoraA(1, group)];
        var b = packed[AdapterInputNames.LoraB(1, group)];
        Assert.Equal([5, 12], a.Shape);
        Assert.Equal([12 + 6 + 6, 5], b.Shape);

        float[] x = Enumerable.Range(0, 12).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        float[] update = Update(x, a, b);
        float[] expected = [.. Update(x, members["q_proj"].A, members["q_proj"].B), .. new float[6], .. Update(x, members["v_proj"].A, members["v_proj"].B)];
        Assert.Equal(expected.Length, update.Length);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], update[i], 1e-5f);
    }

    [Fact]
    public void Pack_RefusesFactorsOfTheWrongShape_NamingTheProjection()
    {
        var rng = new Random(4);
        var wrong = Factors(rng, "up_proj", 2);
        var members = new Dictionary<string, (TensorData A, TensorData B)> { ["up_proj"] = (wrong.A, new TensorData("B", [19, 2], new float[38])) };
        var e = Assert.Throws<ArgumentException>(() => PackedLoraFactors.Pack(Config, 0, ProjectionGroup.GateUp, members).ToList());
        Assert.Contains("model.layers.0.mlp.up_proj", e.Message);
        Assert.Contains("[20, r]", e.Message);
        Assert.Throws<ArgumentException>(() => PackedLoraFactors.Pack(Config, 0, ProjectionGroup.GateUp, new Dictionary<string, (TensorData, TensorData)> { ["q_proj"] = wrong }).ToList());
    }

    static (TensorData A, TensorData B) Factors(Random rng, string projection, int rank)
    {
        var (o, i) = LlamaTensorNames.ProjectionShape(Config, projection);
        float[] Random(int n) => Enumerable.Range(0, n).Select(_ => (float)rng.NextDouble() - 0.5f).ToArray();
        return (new TensorData("A", [rank, i], Random(rank * i)), new TensorData("B", [o, rank], Random(o * rank)));
    }

    /// <summary>(x·Aᵀ)·Bᵀ by hand: A [r, in], B [out, r].</summary>
    static float[] Update(float[] x, TensorData a, TensorData b)
    {
        int r = a.Shape[0], inF = a.Shape[1], outF = b.Shape[0];
        var code = new double[r];
        for (int k = 0; k < r; k++)
            for (int j = 0; j < inF; j++) code[k] += a.Data[k * inF + j] * x[j];
        var y = new float[outF];
        for (int o = 0; o < outF; o++)
        {
            double sum = 0;
            for (int k = 0; k < r; k++) sum += b.Data[o * r + k] * code[k];
            y[o] = (float)sum;
        }
        return y;
    }
}
