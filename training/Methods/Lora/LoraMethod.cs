using Adapters.Training.Model;
using System.Text.Json.Nodes;
using Adapters.Core.Adapters;
using Adapters.Core.Model;
using Adapters.Training.Methods.Projection;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Lora;

/// <summary>
/// LoRA (Hu et al. 2021): each target projection becomes y = W x + (alpha / r) · B A dropout(x)
/// with A [r, in] ~ U(±1/√in) and B [out, r] = 0, so training starts from the base model.
/// Tensor names are PEFT's (<see cref="AdapterTensorNames.LoraA"/>, <see cref="AdapterTensorNames.LoraB"/>).
/// Wrapping and restoring the projections is <see cref="ProjectionAdapterMethod"/>'s.
/// </summary>
public sealed class LoraMethod : ProjectionAdapterMethod
{
    readonly Dictionary<(int Layer, string Projection), (Parameter A, Parameter B)> _pairs = [];

    public LoraMethod(LoraConfig config, LlamaConfig model, ScalarType dtype, Device device, Generator init) : base(AdapterMethods.Lora)
    {
        Config = config.Validate(model);
        foreach (int layer in config.LayersOf(model))
            foreach (string projection in config.TargetModules)
            {
                var (outFeatures, inFeatures) = LlamaTensorNames.ProjectionShape(model, projection);
                var a = AddParameter(AdapterTensorNames.LoraA(layer, projection), ParameterInit.KaimingUniform(config.Rank, inFeatures, init, dtype, device));
                var b = AddParameter(AdapterTensorNames.LoraB(layer, projection), zeros([outFeatures, config.Rank], dtype, device));
                _pairs[(layer, projection)] = (a, b);
                AddTarget(layer, projection);
            }
    }

    public LoraConfig Config { get; }
    public override JsonObject Hyperparameters => AdapterManifest.ToJsonObject(Config);

    /// <summary>(alpha / r) · B (A (dropout(x))); dropout only while <see cref="ProjectionAdapterMethod.Training"/>.</summary>
    protected override Tensor Update(int layer, string projection, Tensor x, Tensor weight)
    {
        var (a, b) = _pairs[(layer, projection)];
        var input = AdapterDropout.Apply(x, Config.Dropout, Training);
        return nn.functional.linear(nn.functional.linear(input, a), b).mul(KeptScalars.Of(Config.Scale));
    }
}
