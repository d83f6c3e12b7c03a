using Adapters.Core.Adapters;
using Adapters.Core.Model;

namespace Adapters.TestSupport;

/// <summary>A LoRA folded by hand into base weights (W + alpha/r · B A, double accumulators), for the reference forward pass.</summary>
public static class ReferenceLora
{
    public static LlamaWeights Fold(LlamaWeights weights, AdapterFolder adapter)
    {
        var lora = adapter.Manifest.HyperparametersAs<LoraConfig>();
        double scale = (double)lora.Alpha / lora.Rank;
        var replaced = new List<TensorData>();
        foreach (int layer in lora.LayersOf(weights.Config))
            foreach (string p in lora.TargetModules)
            {
                var w = weights[LlamaTensorNames.Projection(layer, p)];
                var a = adapter.Tensors[AdapterTensorNames.LoraA(layer, p)].Data;
                var b = adapter.Tensors[AdapterTensorNames.LoraB(layer, p)].Data;
                int rows = w.Shape[0], cols = w.Shape[1], r = lora.Rank;
                var data = (float[])w.Data.Clone();
                for (int i = 0; i < rows; i++)
                    for (int j = 0; j < cols; j++)
                    {
                        double sum = 0;
                        for (int k = 0; k < r; k++) sum += (double)b[i * r + k] * a[k * cols + j];
                        data[i * cols + j] += (float)(scale * sum);
                    }
                replaced.Add(new TensorData(w.Name, w.Shape, data));
            }
        return weights.With(replaced);
    }
}
