using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

public static class GmtSchema
{
    /// <summary>{module}.weight_delta [out, in] per target (dense or sparse-encoded on disk).</summary>
    public static IEnumerable<(string Name, int[] Shape)> ExpectedTensors(this GmtConfig gmt, LlamaConfig model)
    {
        foreach (int l in gmt.LayersOf(model))
            foreach (string p in gmt.TargetModules)
            {
                var (o, i) = LlamaTensorNames.ProjectionShape(model, p);
                yield return (AdapterTensorNames.WeightDelta(l, p), [o, i]);
            }
    }
}
