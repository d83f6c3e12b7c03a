using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

/// <summary>The expected tensors of any adapter method's config: one dispatch on the method name, which also validates the config for the model.</summary>
public static class AdapterSchemas
{
    public static IEnumerable<(string Name, int[] Shape)> ExpectedTensors(AdapterManifest manifest, LlamaConfig model) =>
        ExpectedTensors(manifest.Method, manifest.Hyperparameters, model);

    public static IEnumerable<(string Name, int[] Shape)> ExpectedTensors(string method, JsonObject hyperparameters, LlamaConfig model) => method switch
    {
        AdapterMethods.Lora => As<LoraConfig>(method, hyperparameters).Validate(model).ExpectedTensors(model),
        AdapterMethods.LoReft or AdapterMethods.DiReft => As<ReftConfig>(method, hyperparameters).Validate(model).ExpectedTensors(method, model),
        AdapterMethods.Gmt => As<GmtConfig>(method, hyperparameters).Validate(model).ExpectedTensors(model),
        AdapterMethods.Circulant or AdapterMethods.Toeplitz or AdapterMethods.Kronecker or AdapterMethods.Ldr =>
            As<StructuredConfig>(method, hyperparameters).Validate(method, model).ExpectedTensors(method, model),
        AdapterMethods.Tarp or AdapterMethods.TarpStatic => As<TarpConfig>(method, hyperparameters).Validate(model).ExpectedTensors(method, model),
        _ => throw new ArgumentException($"unknown adapter method '{method}'"),
    };

    static T As<T>(string method, JsonObject hyperparameters)
    {
        // No hyperparameter is optional-by-null (each has a default when absent): a JSON null is a damaged file.
        if (hyperparameters.Where(kv => kv.Value is null).Select(kv => kv.Key).FirstOrDefault() is { } field)
            throw new InvalidDataException($"{method} hyperparameter '{field}' is null");
        return hyperparameters.Deserialize<T>(AdapterManifest.Json) ?? throw new InvalidDataException($"{method} hyperparameters are empty");
    }
}
