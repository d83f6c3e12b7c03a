using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

/// <summary>The expected tensors of any adapter manifest: one dispatch on the method name.</summary>
public static class AdapterSchemas
{
    public static IEnumerable<(string Name, int[] Shape)> ExpectedTensors(AdapterManifest manifest, LlamaConfig model) => manifest.Method switch
    {
        AdapterMethods.Lora => manifest.HyperparametersAs<LoraConfig>().Validate(model).ExpectedTensors(model),
        AdapterMethods.LoReft or AdapterMethods.DiReft => manifest.HyperparametersAs<ReftConfig>().Validate(model).ExpectedTensors(manifest.Method, model),
        AdapterMethods.Gmt => manifest.HyperparametersAs<GmtConfig>().Validate(model).ExpectedTensors(model),
        AdapterMethods.Circulant or AdapterMethods.Toeplitz or AdapterMethods.Kronecker or AdapterMethods.Ldr =>
            manifest.HyperparametersAs<StructuredConfig>().Validate(manifest.Method, model).ExpectedTensors(manifest.Method, model),
        AdapterMethods.Tarp or AdapterMethods.TarpStatic => manifest.HyperparametersAs<TarpConfig>().Validate(model).ExpectedTensors(manifest.Method, model),
        _ => throw new ArgumentException($"unknown adapter method '{manifest.Method}'"),
    };
}
