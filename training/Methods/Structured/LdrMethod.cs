using Adapters.Core.Adapters;
using Adapters.Core.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Structured;

/// <summary>
/// Low-displacement-rank delta: ΔW = Σₖ C(cₖ) S(sₖ), k &lt; r, C circulant and S skew-circulant,
/// c [r, d] = 0 at start, s [r, d] ~ U(±1/√d); square projections only; ΔW x by FFTs.
/// </summary>
public sealed class LdrMethod(StructuredConfig config, LlamaConfig model, ScalarType dtype, Device device, Generator init)
    : StructuredMethod(AdapterMethods.Ldr, config, model, dtype, device, init)
{
    readonly Dictionary<(int, string), (Parameter C, Parameter S)> _factors = [];

    protected override void CreateTarget(int layer, string projection, int outFeatures, int inFeatures, ScalarType dtype, Device device, Generator init)
    {
        var c = AddParameter(TensorName(layer, projection, "c"), zeros([config.Rank, outFeatures], dtype, device));
        var s = AddParameter(TensorName(layer, projection, "s"), ParameterInit.KaimingUniform(config.Rank, outFeatures, init, dtype, device));
        _factors[(layer, projection)] = (c, s);
    }

    protected override Tensor Update(int layer, string projection, Tensor x, Tensor weight)
    {
        var (c, s) = _factors[(layer, projection)];
        return StructuredProducts.Ldr(c, s, x);
    }
}
