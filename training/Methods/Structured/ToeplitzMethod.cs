using Adapters.Core.Adapters;
using Adapters.Core.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Structured;

/// <summary>Toeplitz delta: ΔW[i, j] = t[i − j + in − 1], t [out + in − 1] = 0 at start; any shape; ΔW x by zero-padded FFT.</summary>
public sealed class ToeplitzMethod(StructuredConfig config, LlamaConfig model, ScalarType dtype, Device device, Generator init)
    : StructuredMethod(AdapterMethods.Toeplitz, config, model, dtype, device, init)
{
    readonly Dictionary<(int, string), (Parameter T, long Out)> _t = [];

    protected override void CreateTarget(int layer, string projection, int outFeatures, int inFeatures, ScalarType dtype, Device device, Generator init) =>
        _t[(layer, projection)] = (AddParameter(TensorName(layer, projection, "t"), zeros(outFeatures + inFeatures - 1, dtype, device)), outFeatures);

    protected override Tensor Update(int layer, string projection, Tensor x, Tensor weight)
    {
        var (t, outFeatures) = _t[(layer, projection)];
        return StructuredProducts.Toeplitz(t, x, outFeatures);
    }
}
