using Adapters.Core.Model;
using Adapters.Training.Model;
using static TorchSharp.torch;

namespace Adapters.Training.Compression;

/// <summary>Builds a TorchSharp model from weights that may hold factorised projections (a compressed checkpoint).</summary>
public static class CompressedModel
{
    /// <summary>
    /// The model with every factorised projection computed as U (V x) + b. The underlying base
    /// projection (what adapters see as W) holds the dense U V.
    /// </summary>
    public static LlamaModel Load(LlamaWeights weights, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var dense = weights.Factorized.Values.Select(f =>
        {
            var (o, i) = LlamaTensorNames.ProjectionShape(weights.Config, f.Projection);
            var product = Core.Adapters.WeightDeltas.StructuredMatrices.MatMul(f.U.Data, f.V.Data, o, f.Rank, i);
            return new TensorData(f.WeightName, [o, i], Array.ConvertAll(product, v => (float)v));
        }).ToList();
        var model = LlamaModel.FromWeights(weights.With(dense), dtype, device);
        foreach (var f in weights.Factorized.Values) Install(model, f, dtype, device ?? CPU);
        return model;
    }

    internal static void Install(LlamaModel model, FactorizedProjection f, ScalarType dtype, Device device)
    {
        Tensor T(TensorData t) => TensorConversion.ToTensor(t, dtype, device).DetachFromDisposeScope();
        model.SetProjection(f.Layer, f.Projection, new FactorizedLinear(T(f.U), T(f.V), f.Bias is null ? null : T(f.Bias)));
    }
}
