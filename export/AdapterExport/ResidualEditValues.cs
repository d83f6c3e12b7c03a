using Adapters.Core.Adapters;
using Adapters.Core.Exported;
using Adapters.Core.Model;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// Shared by the ReFT rules: both interventions are residual edits h + Uᵀ(V h + b), so each rule
/// only says how its tensors become (V, b, U). A tied intervention ("all") fills both position
/// groups with the same values, so one graph serves tied and untied adapters.
/// </summary>
static class ResidualEditValues
{
    public delegate (float[] V, float[] B, float[] U) ToEdit(IReadOnlyDictionary<string, TensorData> tensors, string prefix);

    public static AdapterGraphValues Build(AdapterFolder adapter, LlamaConfig model, ToEdit toEdit)
    {
        var reft = adapter.Manifest.HyperparametersAs<ReftConfig>().Validate(model);
        int r = reft.Rank, dim = model.Dim;
        var layers = reft.LayersOf(model).ToList();
        var tensors = new List<TensorData>();
        foreach (int layer in layers)
            foreach (string group in reft.InterventionGroups)
            {
                var (v, b, u) = toEdit(adapter.Tensors, AdapterTensorNames.Reft(layer, group));
                foreach (string target in reft.Untied ? [group] : AdapterInputNames.Groups)
                {
                    tensors.Add(new TensorData(AdapterInputNames.EditDown(layer, target), [r, dim], v));
                    tensors.Add(new TensorData(AdapterInputNames.EditBias(layer, target), [r], b));
                    tensors.Add(new TensorData(AdapterInputNames.EditUp(layer, target), [r, dim], u));
                }
            }
        return new AdapterGraphValues { EditedLayers = layers, Tensors = tensors, Rank = r, Positions = reft.PositionSpec };
    }
}
