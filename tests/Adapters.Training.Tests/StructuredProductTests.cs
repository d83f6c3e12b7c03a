using Adapters.Core.Adapters;
using Adapters.Core.Adapters.WeightDeltas;
using Adapters.Core.Model;
using Adapters.Training.Methods;
using Adapters.Training.Methods.Structured;
using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Tests;

/// <summary>
/// Each FFT product ΔW x of the SURM kinds equals x times core's dense materialisation of ΔW
/// (float64), and structured kinds refuse projection shapes they cannot serve, naming them.
/// </summary>
public class StructuredProductTests
{
    /// <summary>float64 FFTs of length ≤ 32 round to ~1e-15 relative; the dense side is accumulated in float64 and stored in float32.</summary>
    const double ProductTolerance = 1e-5;

    static readonly Generator Random = new(21);
    static Tensor Values(params long[] shape) => randn(shape, ScalarType.Float64, generator: Random);
    static float[] Floats(Tensor t) => t.to(ScalarType.Float32).contiguous().data<float>().ToArray();

    /// <summary>x [3, 2, in] @ Mᵀ with M [out, in] from core.</summary>
    static void AssertMatchesDense(Tensor product, Tensor x, float[] dense, int outFeatures, int inFeatures)
    {
        using var m = tensor(dense, [outFeatures, inFeatures]).to(ScalarType.Float64);
        using var expected = matmul(x, m.t());
        Assert.Equal(expected.shape, product.shape);
        double error = (product - expected).abs().max().item<double>();
        Assert.InRange(error, 0, ProductTolerance);
    }

    [Theory]
    [InlineData(12)]
    [InlineData(7)]
    public void Circulant_FftProduct_EqualsDenseMaterialisation(int d)
    {
        var c = Values(d);
        var x = Values(3, 2, d);
        AssertMatchesDense(StructuredProducts.Circulant(c, x), x, StructuredMatrices.Circulant(Floats(c)), d, d);
    }

    [Theory]
    [InlineData(5, 9)]
    [InlineData(9, 5)]
    [InlineData(6, 6)]
    public void Toeplitz_FftProduct_EqualsDenseMaterialisation(int outFeatures, int inFeatures)
    {
        var t = Values(outFeatures + inFeatures - 1);
        var x = Values(3, 2, inFeatures);
        AssertMatchesDense(StructuredProducts.Toeplitz(t, x, outFeatures), x, StructuredMatrices.Toeplitz(Floats(t), outFeatures, inFeatures), outFeatures, inFeatures);
    }

    [Theory]
    [InlineData(10)]
    [InlineData(9)]
    public void SkewCirculant_FftProduct_EqualsDenseMaterialisation(int d)
    {
        var s = Values(d);
        var x = Values(3, 2, d);
        AssertMatchesDense(StructuredProducts.SkewCirculant(s, x), x, StructuredMatrices.SkewCirculant(Floats(s)), d, d);
    }

    [Theory]
    [InlineData(1, 8)]
    [InlineData(2, 10)]
    [InlineData(3, 7)]
    public void Ldr_FftProduct_EqualsDenseMaterialisation(int rank, int d)
    {
        var c = Values(rank, d);
        var s = Values(rank, d);
        var x = Values(3, 2, d);
        AssertMatchesDense(StructuredProducts.Ldr(c, s, x), x, StructuredMatrices.Ldr(Floats(c), Floats(s), rank), d, d);
    }

    [Theory]
    [InlineData(12, 8)]
    [InlineData(172, 64)]
    [InlineData(16, 48)]
    public void Kronecker_Product_EqualsDenseMaterialisation(int outFeatures, int inFeatures)
    {
        var f = KroneckerFactors.Of(outFeatures, inFeatures);
        var b = Values(f.Out1, f.In1);
        var a = Values(f.Out2, f.In2);
        var x = Values(3, 2, inFeatures);
        AssertMatchesDense(StructuredProducts.Kronecker(b, a, x), x, StructuredMatrices.Kronecker(Floats(b), f.Out1, f.In1, Floats(a), f.Out2, f.In2), outFeatures, inFeatures);
    }

    [Theory]
    [InlineData(AdapterMethods.Circulant, "k_proj", "[32, 64]")]
    [InlineData(AdapterMethods.Circulant, "down_proj", "[64, 172]")]
    [InlineData(AdapterMethods.Ldr, "gate_proj", "[172, 64]")]
    public void SquareOnlyKinds_RefuseNonSquareProjections_NamingLayerAndShape(string method, string projection, string shape)
    {
        var model = TestModels.Stories260K().Config;
        var e = Assert.Throws<ArgumentException>(() => AdapterMethodRegistry.Create(method, new StructuredConfig { TargetModules = [projection] }, model));
        Assert.Contains($"model.layers.0.", e.Message);
        Assert.Contains(projection, e.Message);
        Assert.Contains(shape, e.Message);
        Assert.Contains("square", e.Message);
    }

    [Fact]
    public void Kronecker_RefusesAPrimeDimension_NamingLayerAndShape()
    {
        var model = new LlamaConfig { Dim = 16, HiddenDim = 37, NumLayers = 1, NumHeads = 2, NumKvHeads = 2, VocabSize = 32, MaxSeqLen = 8 };
        var e = Assert.Throws<ArgumentException>(() => AdapterMethodRegistry.Create(AdapterMethods.Kronecker, new StructuredConfig { TargetModules = ["up_proj"] }, model));
        Assert.Contains("model.layers.0.mlp.up_proj [37, 16]", e.Message);
        Assert.Contains("37", e.Message);
    }

    [Fact]
    public void Rank_IsRefusedForKindsWithoutOne()
    {
        var e = Assert.Throws<ArgumentException>(() => new StructuredConfig { Rank = 2 }.Validate(AdapterMethods.Toeplitz));
        Assert.Contains("rank 2 applies to ldr only", e.Message);
    }

    [Theory]
    [InlineData(AdapterMethods.Circulant)]
    [InlineData(AdapterMethods.Toeplitz)]
    [InlineData(AdapterMethods.Kronecker)]
    [InlineData(AdapterMethods.Ldr)]
    public void FreshStructuredAdapter_LeavesLogitsUnchanged(string method)
    {
        using var model = Model.LlamaModel.FromWeights(TestModels.Random(TestModels.GqaSeparateClassifier), ScalarType.Float64);
        using var ids = tensor(new long[] { 1, 5, 17, 42, 96, 3 }, [1, 6]);
        using var before = model.forward(ids);
        using var adapter = AdapterMethodRegistry.Create(method, new StructuredConfig { TargetModules = ["q_proj", "o_proj"], Rank = method == AdapterMethods.Ldr ? 2 : 1 }, model.Config, ScalarType.Float64, seed: 1);
        adapter.Attach(model);
        using var after = model.forward(ids);
        Assert.InRange((after - before).abs().max().item<double>(), 0, 1e-12);
    }
}
