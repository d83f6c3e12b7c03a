using System.Text.Json.Nodes;
using Adapters.Core.Model;
using static TorchSharp.torch;

namespace Adapters.Training.Methods;

/// <summary>
/// Creates a method from its manifest hyperparameters for a model shape, with freshly
/// initialised parameters in <paramref name="dtype"/> on <paramref name="device"/>; random
/// initialisation draws from <paramref name="init"/> only, so a seed reproduces it.
/// </summary>
public delegate IAdapterMethod AdapterMethodFactory(JsonObject hyperparameters, LlamaConfig model, ScalarType dtype, Device device, Generator init);
