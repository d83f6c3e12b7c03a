using Adapters.Core.Adapters;
using Adapters.Core.Adapters.WeightDeltas;
using Adapters.Core.Model;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Structured;

/// <summary>
/// Kronecker delta: ΔW = B ⊗ A with B [o1, i1] = 0 at start and A [o2, i2] ~ U(±1/√i2), the
/// factor shapes from <see cref="KroneckerFactors"/>; ΔW x = vec(B X Aᵀ).
/// </summary>
public sealed class KroneckerMethod(StructuredConfig config, LlamaConfig model, ScalarType dtype, Device device, Generator init)
    : StructuredMethod(AdapterMethods.Kronecker, config, model, dtype, device, init)
{
    readonly Dictionary<(int, string), (Parameter B, Parameter A)> _factors = [];

    protected override void CreateTarget(int layer, string projection, int outFeatures, int inFeatures, ScalarType dtype, Device device, Generator init)
    {
        var f = KroneckerFactors.Of(outFeatures, inFeatures);
        var b = AddParameter(TensorName(layer, projection, "B"), zeros([f.Out1, f.In1], dtype, device));
        var a = AddParameter(TensorName(layer, projection, "A"), ParameterInit.KaimingUniform(f.Out2, f.In2, init, dtype, device));
        _factors[(layer, projection)] = (b, a);
    }

    protected override Tensor Update(int layer, string projection, Tensor x, Tensor weight)
    {
        var (b, a) = _factors[(layer, projection)];
        return StructuredProducts.Kronecker(b, a, x);
    }
}
