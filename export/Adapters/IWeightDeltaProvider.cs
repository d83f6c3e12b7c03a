using Adapters.Core.Adapters;
using Adapters.Core.Model;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// A method whose adapter is a change of base weights, W' = W + ΔW, and can therefore be fused
/// into a plain decoder. LoRA gives ΔW = (alpha / r)·B·A; structured-matrix, sparse or
/// other delta methods implement this interface in one file of their own and fuse the same way.
/// </summary>
public interface IWeightDeltaProvider
{
    /// <summary>
    /// ΔW for every base weight the adapter changes, each under the base weight's canonical name
    /// (<see cref="LlamaTensorNames"/>) with its shape. Never modifies the inputs.
    /// </summary>
    IEnumerable<TensorData> WeightDeltas(AdapterFolder adapter, LlamaWeights baseWeights);
}
