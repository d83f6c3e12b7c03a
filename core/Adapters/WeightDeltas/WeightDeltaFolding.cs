using Adapters.Core.Model;

namespace Adapters.Core.Adapters.WeightDeltas;

/// <summary>Folds a weight delta into base weights: a new W + ΔW per target, never an edit in place.</summary>
public static class WeightDeltaFolding
{
    /// <summary>New weights with W + ΔW for every target of <paramref name="delta"/>; refuses a NaN or infinite result naming the tensor.</summary>
    public static LlamaWeights Fold(LlamaWeights weights, IWeightDelta delta)
    {
        var replaced = new List<TensorData>();
        foreach (var (layer, projection) in delta.Targets)
        {
            string name = LlamaTensorNames.Projection(layer, projection);
            var w = weights[name];
            var d = delta.Materialize(layer, projection);
            if (d.Length != w.Data.Length)
                throw new ArgumentException($"{delta.Method} delta for '{name}' has {d.Length} values, the weight {w.ShapeText} has {w.Data.Length}");
            var sum = new float[d.Length];
            for (int x = 0; x < sum.Length; x++)
            {
                sum[x] = w.Data[x] + d[x];
                if (!float.IsFinite(sum[x])) throw new ArgumentException($"folding {delta.Method} into '{name}' gives a non-finite value at flat index {x}");
            }
            replaced.Add(new TensorData(name, w.Shape, sum));
        }
        return weights.With(replaced);
    }
}
