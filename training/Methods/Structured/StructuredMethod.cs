using System.Text.Json.Nodes;
using Adapters.Core.Adapters;
using Adapters.Core.Model;
using Adapters.Training.Methods.Projection;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Structured;

/// <summary>
/// Common part of the SURM methods (<see cref="StructuredConfig"/>): y = W x + ΔW x on each
/// target projection, ΔW structured and applied through <see cref="StructuredProducts"/>. A
/// subclass creates one target's tensors (one of them zero, so ΔW starts at 0) and its product.
/// </summary>
public abstract class StructuredMethod : ProjectionAdapterMethod
{
    protected StructuredMethod(string name, StructuredConfig config, LlamaConfig model, ScalarType dtype, Device device, Generator init) : base(name)
    {
        Config = config.Validate(name, model);
        foreach (int layer in config.LayersOf(model))
            foreach (string projection in config.TargetModules)
            {
                var (o, i) = LlamaTensorNames.ProjectionShape(model, projection);
                AddTarget(layer, projection);
                CreateTarget(layer, projection, o, i, dtype, device, init);
            }
    }

    public StructuredConfig Config { get; }
    public override JsonObject Hyperparameters => AdapterManifest.ToJsonObject(Config);

    protected abstract void CreateTarget(int layer, string projection, int outFeatures, int inFeatures, ScalarType dtype, Device device, Generator init);

    protected string TensorName(int layer, string projection, string tensor) => AdapterTensorNames.Of(layer, projection, Name, tensor);
}
