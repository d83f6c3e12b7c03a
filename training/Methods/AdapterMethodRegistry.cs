using System.Text.Json.Nodes;
using Adapters.Core.Adapters;
using Adapters.Core.Model;
using Adapters.Training.Methods.Gmt;
using Adapters.Training.Methods.Lora;
using Adapters.Training.Methods.Reft;
using Adapters.Training.Methods.Structured;
using Adapters.Training.Methods.Tarp;
using static TorchSharp.torch;

namespace Adapters.Training.Methods;

/// <summary>Method name → factory. A new method is one new file and one line here.</summary>
public static class AdapterMethodRegistry
{
    static readonly Dictionary<string, AdapterMethodFactory> Factories = new(StringComparer.Ordinal)
    {
        [AdapterMethods.Lora] = (hp, model, dtype, device, init) => new LoraMethod(Parse<LoraConfig>(hp).Validate(model), model, dtype, device, init),
        [AdapterMethods.LoReft] = (hp, model, dtype, device, init) => new ReftMethod(AdapterMethods.LoReft, Parse<ReftConfig>(hp).Validate(model), model, dtype, device, init, LoReftIntervention.Create),
        [AdapterMethods.DiReft] = (hp, model, dtype, device, init) => new ReftMethod(AdapterMethods.DiReft, Parse<ReftConfig>(hp).Validate(model), model, dtype, device, init, DiReftIntervention.Create),
        [AdapterMethods.Gmt] = (hp, model, dtype, device, init) => new GmtMethod(Parse<GmtConfig>(hp), model, dtype, device),
        [AdapterMethods.Tarp] = (hp, model, dtype, device, init) => new TarpMethod(AdapterMethods.Tarp, Parse<TarpConfig>(hp), model, dtype, device, init),
        [AdapterMethods.TarpStatic] = (hp, model, dtype, device, init) => new TarpMethod(AdapterMethods.TarpStatic, Parse<TarpConfig>(hp), model, dtype, device, init),
        [AdapterMethods.Circulant] = (hp, model, dtype, device, init) => new CirculantMethod(Parse<StructuredConfig>(hp), model, dtype, device, init),
        [AdapterMethods.Toeplitz] = (hp, model, dtype, device, init) => new ToeplitzMethod(Parse<StructuredConfig>(hp), model, dtype, device, init),
        [AdapterMethods.Kronecker] = (hp, model, dtype, device, init) => new KroneckerMethod(Parse<StructuredConfig>(hp), model, dtype, device, init),
        [AdapterMethods.Ldr] = (hp, model, dtype, device, init) => new LdrMethod(Parse<StructuredConfig>(hp), model, dtype, device, init),
    };

    public static IReadOnlyCollection<string> Names => Factories.Keys;

    public static bool Contains(string name) => Factories.ContainsKey(name);

    /// <summary>A fresh, unattached method; refuses an unknown name naming the known ones.</summary>
    public static IAdapterMethod Create(string name, JsonObject hyperparameters, LlamaConfig model, ScalarType dtype = ScalarType.Float32, Device? device = null, long seed = 0)
    {
        if (!Factories.TryGetValue(name, out var factory))
            throw new ArgumentException($"unknown adapter method '{name}'; expected one of {string.Join(", ", Factories.Keys)}");
        var init = new Generator((ulong)seed);
        return factory(hyperparameters, model, dtype, device ?? CPU, init);
    }

    /// <summary>Typed convenience: serialises <paramref name="config"/> to the manifest form first.</summary>
    public static IAdapterMethod Create<TConfig>(string name, TConfig config, LlamaConfig model, ScalarType dtype = ScalarType.Float32, Device? device = null, long seed = 0) =>
        Create(name, AdapterManifest.ToJsonObject(config), model, dtype, device, seed);

    static T Parse<T>(JsonObject hyperparameters) =>
        System.Text.Json.JsonSerializer.Deserialize<T>(hyperparameters, AdapterManifest.Json)
            ?? throw new ArgumentException($"empty hyperparameters for {typeof(T).Name}");
}
