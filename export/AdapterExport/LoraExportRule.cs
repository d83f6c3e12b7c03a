using Adapters.Core.Adapters;
using Adapters.Core.Exported;
using Adapters.Core.Model;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// LoRA, y = W x + (alpha / r)·B A x. Swappable: A [r, in] as is and B [out, r] multiplied by
/// alpha / r, so the graph adds (x·Aᵀ)·Bᵀ with no scale input; packed per projection group
/// (<see cref="PackedLoraFactors"/>).
/// </summary>
public sealed class LoraExportRule : IAdapterExportRule
{
    public string Method => AdapterMethods.Lora;
    public AdapterGraphValues GraphValues(AdapterFolder adapter, AdapterExportContext context)
    {
        var model = context.Model;
        var lora = adapter.Manifest.HyperparametersAs<LoraConfig>().Validate(model);
        var sites = new List<(int, string)>();
        var tensors = new List<TensorData>();
        foreach (int layer in lora.LayersOf(model))
            foreach (var group in ProjectionGroup.All)
            {
                var members = lora.TargetModules.Where(group.Members.Contains).ToDictionary(p => p, p =>
                {
                    var b = adapter.Tensors[AdapterTensorNames.LoraB(layer, p)];
                    return (adapter.Tensors[AdapterTensorNames.LoraA(layer, p)], new TensorData(b.Name, b.Shape, b.Data.Select(v => v * lora.Scale).ToArray()));
                });
                if (members.Count == 0) continue;
                sites.AddRange(members.Keys.Select(p => (layer, p)));
                tensors.AddRange(PackedLoraFactors.Pack(model, layer, group, members));
            }
        return new AdapterGraphValues { Projections = sites, Tensors = tensors, Rank = lora.Rank };
    }
}
