using Adapters.Core.Adapters;
using Adapters.Core.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Structured;

/// <summary>Circulant delta: ΔW[i, j] = c[(i − j) mod d], c [d] = 0 at start; square projections only; ΔW x by FFT.</summary>
public sealed class CirculantMethod(StructuredConfig config, LlamaConfig model, ScalarType dtype, Device device, Generator init)
    : StructuredMethod(AdapterMethods.Circulant, config, model, dtype, device, init)
{
    readonly Dictionary<(int, string), Parameter> _c = [];

    protected override void CreateTarget(int layer, string projection, int outFeatures, int inFeatures, ScalarType dtype, Device device, Generator init) =>
        _c[(layer, projection)] = AddParameter(TensorName(layer, projection, "c"), zeros(outFeatures, dtype, device));

    protected override Tensor Update(int layer, string projection, Tensor x, Tensor weight) => StructuredProducts.Circulant(_c[(layer, projection)], x);
}
