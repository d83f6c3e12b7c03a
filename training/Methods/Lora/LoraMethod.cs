using System.Text.Json.Nodes;
using Adapters.Core.Adapters;
using Adapters.Core.Model;
using Adapters.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Lora;

/// <summary>
/// LoRA (Hu et al. 2021): each target projection becomes y = W x + (alpha / r) · B A dropout(x)
/// with A [r, in] ~ U(±1/√in) and B [out, r] = 0, so training starts from the base model.
/// Tensor names are PEFT's (<see cref="AdapterTensorNames.LoraA"/>, <see cref="AdapterTensorNames.LoraB"/>).
/// </summary>
public sealed class LoraMethod : IAdapterMethod
{
    readonly List<(string Name, Parameter Parameter)> _parameters = [];
    readonly Dictionary<(int Layer, string Projection), (Parameter A, Parameter B)> _pairs = [];
    readonly List<(int Layer, string Projection, nn.Module<Tensor, Tensor> Previous, LoraLinear Wrapper)> _attached = [];
    bool _training = true;

    public LoraMethod(LoraConfig config, LlamaConfig model, ScalarType dtype, Device device, Generator init)
    {
        Config = config.Validate(model);
        foreach (int layer in config.LayersOf(model))
            foreach (string projection in config.TargetModules)
            {
                var (outFeatures, inFeatures) = LlamaTensorNames.ProjectionShape(model, projection);
                var a = new Parameter(ParameterInit.KaimingUniform(config.Rank, inFeatures, init, dtype, device), requires_grad: true);
                var b = new Parameter(zeros([outFeatures, config.Rank], dtype, device), requires_grad: true);
                a.DetachFromDisposeScope();
                b.DetachFromDisposeScope();
                _pairs[(layer, projection)] = (a, b);
                _parameters.Add((AdapterTensorNames.LoraA(layer, projection), a));
                _parameters.Add((AdapterTensorNames.LoraB(layer, projection), b));
            }
    }

    public LoraConfig Config { get; }
    public string Name => AdapterMethods.Lora;
    public JsonObject Hyperparameters => AdapterManifest.ToJsonObject(Config);
    public IReadOnlyList<(string Name, Parameter Parameter)> Parameters => _parameters;
    public LlamaModel? AttachedModel { get; private set; }

    public bool Training
    {
        get => _training;
        set
        {
            _training = value;
            foreach (var entry in _attached) entry.Wrapper.train(value);
        }
    }

    public void Attach(LlamaModel model)
    {
        if (AttachedModel is not null) throw new InvalidOperationException("this LoRA adapter is already attached to a model");
        foreach (var ((layer, projection), (a, b)) in _pairs)
        {
            var current = model.GetProjection(layer, projection);
            var wrapper = new LoraLinear(current, a, b, Config.Scale, Config.Dropout);
            wrapper.train(_training);
            model.SetProjection(layer, projection, wrapper);
            _attached.Add((layer, projection, current, wrapper));
        }
        AttachedModel = model;
    }

    public void Detach()
    {
        if (AttachedModel is not { } model) return;
        // Restore in reverse order so stacked wrappers unwind correctly.
        for (int i = _attached.Count - 1; i >= 0; i--)
        {
            var (layer, projection, previous, wrapper) = _attached[i];
            model.SetProjection(layer, projection, previous);
            wrapper.Dispose();
        }
        _attached.Clear();
        AttachedModel = null;
    }

    public void SetPromptLengths(IReadOnlyList<int> promptLengths) { }

    public void AfterOptimizerStep() { }

    public void Dispose()
    {
        Detach();
        foreach (var (_, p) in _parameters) p.Dispose();
    }
}
