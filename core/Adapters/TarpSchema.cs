using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

public static class TarpSchema
{
    /// <summary>Tensor short names in "{module}.{method}.{name}": the scale factors, the low-rank pair, the core, the per-token core map.</summary>
    public const string U = "U", V = "V", A = "A", B = "B", Core = "C", CoreMap = "P";

    /// <summary>Per target: U [out, r], V [r, in], A [r, in], B [out, r], C [r, r]; tarp adds P [r·r, in].</summary>
    public static IEnumerable<(string Name, int[] Shape)> ExpectedTensors(this TarpConfig config, string method, LlamaConfig model)
    {
        int r = config.Rank;
        foreach (int l in config.LayersOf(model))
            foreach (string p in config.TargetModules)
            {
                var (o, i) = LlamaTensorNames.ProjectionShape(model, p);
                string N(string tensor) => AdapterTensorNames.Of(l, p, method, tensor);
                yield return (N(U), [o, r]);
                yield return (N(V), [r, i]);
                yield return (N(A), [r, i]);
                yield return (N(B), [o, r]);
                yield return (N(Core), [r, r]);
                if (method == AdapterMethods.Tarp) yield return (N(CoreMap), [r * r, i]);
            }
    }
}
