using Adapters.Core.Adapters;
using Adapters.Core.Exported;
using Adapters.Core.Model;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// LoRA, y = W x + (alpha / r)·B A x. Swappable: A [r, in] as is and B [out, r] multiplied by
/// alpha / r, so the graph adds (x·Aᵀ)·Bᵀ with no scale input.
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
            foreach (string projection in lora.TargetModules)
            {
                sites.Add((layer, projection));
                var a = adapter.Tensors[AdapterTensorNames.LoraA(layer, projection)];
                var b = adapter.Tensors[AdapterTensorNames.LoraB(layer, projection)];
                tensors.Add(new TensorData(AdapterInputNames.LoraA(layer, projection), a.Shape, a.Data));
                tensors.Add(new TensorData(AdapterInputNames.LoraB(layer, projection), b.Shape, b.Data.Select(v => v * lora.Scale).ToArray()));
            }
        return new AdapterGraphValues { Projections = sites, Tensors = tensors, Rank = lora.Rank };
    }
}
