using Adapters.Core.Adapters.WeightDeltas;
using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

public static class StructuredSchema
{
    /// <summary>
    /// Per target "{module}.{method}.*": circulant c [d]; toeplitz t [out + in − 1];
    /// kronecker B [o1, i1], A [o2, i2]; ldr c [r, d], s [r, d].
    /// </summary>
    public static IEnumerable<(string Name, int[] Shape)> ExpectedTensors(this StructuredConfig config, string method, LlamaConfig model)
    {
        foreach (int l in config.LayersOf(model))
            foreach (string p in config.TargetModules)
            {
                var (o, i) = LlamaTensorNames.ProjectionShape(model, p);
                string N(string tensor) => AdapterTensorNames.Of(l, p, method, tensor);
                switch (method)
                {
                    case AdapterMethods.Circulant:
                        yield return (N("c"), [o]);
                        break;
                    case AdapterMethods.Toeplitz:
                        yield return (N("t"), [o + i - 1]);
                        break;
                    case AdapterMethods.Kronecker:
                        var f = KroneckerFactors.Of(o, i);
                        yield return (N("B"), [f.Out1, f.In1]);
                        yield return (N("A"), [f.Out2, f.In2]);
                        break;
                    case AdapterMethods.Ldr:
                        yield return (N("c"), [config.Rank, o]);
                        yield return (N("s"), [config.Rank, o]);
                        break;
                    default:
                        throw new ArgumentException($"'{method}' is not a structured method");
                }
            }
    }
}
