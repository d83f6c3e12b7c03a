using Adapters.Core.Adapters;
using Adapters.Core.Model;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// Fused mode: new weights W' = W + Σ ΔW over the given adapters, each ΔW from its method's
/// <see cref="IWeightDeltaProvider"/>. Produces a new <see cref="LlamaWeights"/> (the base is
/// never changed) and refuses a result with NaN or ±∞, naming the weight.
/// </summary>
public static class WeightFuser
{
    public static LlamaWeights Fuse(LlamaWeights baseWeights, IEnumerable<AdapterFolder> adapters)
    {
        var sums = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var adapter in adapters)
        {
            var provider = AdapterExportRules.For(adapter.Manifest.Method).DeltaProvider
                ?? throw new ArgumentException($"a {adapter.Manifest.Method} adapter edits prompt positions, not weights, and cannot be fused; export it swappable or batched");
            foreach (var delta in provider.WeightDeltas(adapter, baseWeights))
            {
                var w = baseWeights[delta.Name];
                if (!delta.HasShape(w.Shape))
                    throw new ArgumentException($"{adapter.Manifest.Method} delta for '{delta.Name}' has shape {delta.ShapeText}, the weight {w.ShapeText}");
                if (!sums.TryGetValue(delta.Name, out var sum)) sums[delta.Name] = sum = (float[])w.Data.Clone();
                for (int i = 0; i < sum.Length; i++) sum[i] += delta.Data[i];
            }
        }
        var fused = sums.Select(kv => new TensorData(kv.Key, baseWeights[kv.Key].Shape, kv.Value)).ToList();
        foreach (var t in fused)
        {
            int bad = Array.FindIndex(t.Data, v => !float.IsFinite(v));
            if (bad >= 0) throw new ArgumentException($"fusing gives a non-finite value ({t.Data[bad]}) in '{t.Name}' at flat index {bad}");
        }
        return baseWeights.With(fused);
    }
}
