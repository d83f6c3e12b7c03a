using Adapters.Core.Adapters;
using Adapters.Core.Exported;
using Adapters.Core.Model;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// LoRA, y = W x + (alpha / r)·B A x. Fused: ΔW = (alpha / r)·B·A [out, in]. Swappable: A [r, in]
/// as is and B [out, r] multiplied by alpha / r, so the graph adds (x·Aᵀ)·Bᵀ with no scale input.
/// </summary>
public sealed class LoraExportRule : IAdapterExportRule, IWeightDeltaProvider
{
    public string Method => AdapterMethods.Lora;

    public IWeightDeltaProvider DeltaProvider => this;

    public AdapterGraphValues GraphValues(AdapterFolder adapter, LlamaConfig model)
    {
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

    public IEnumerable<TensorData> WeightDeltas(AdapterFolder adapter, LlamaWeights baseWeights)
    {
        var model = baseWeights.Config;
        var lora = adapter.Manifest.HyperparametersAs<LoraConfig>().Validate(model);
        foreach (int layer in lora.LayersOf(model))
            foreach (string projection in lora.TargetModules)
            {
                var (outFeatures, inFeatures) = LlamaTensorNames.ProjectionShape(model, projection);
                var a = adapter.Tensors[AdapterTensorNames.LoraA(layer, projection)].Data; // [r, in]
                var b = adapter.Tensors[AdapterTensorNames.LoraB(layer, projection)].Data; // [out, r]
                yield return new TensorData(LlamaTensorNames.Projection(layer, projection), [outFeatures, inFeatures],
                    LowRankProduct(b, a, outFeatures, lora.Rank, inFeatures, lora.Scale));
            }
    }

    /// <summary>scale·B·A with B [out, r], A [r, in], accumulated in double.</summary>
    static float[] LowRankProduct(float[] b, float[] a, int outFeatures, int rank, int inFeatures, double scale)
    {
        var result = new float[outFeatures * inFeatures];
        var row = new double[inFeatures];
        for (int o = 0; o < outFeatures; o++)
        {
            Array.Clear(row);
            for (int k = 0; k < rank; k++)
            {
                double bk = b[o * rank + k];
                for (int i = 0; i < inFeatures; i++) row[i] += bk * a[k * inFeatures + i];
            }
            for (int i = 0; i < inFeatures; i++) result[o * inFeatures + i] = (float)(row[i] * scale);
        }
        return result;
    }
}
