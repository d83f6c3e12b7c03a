using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.TestSupport;
using Adapters.Training.Engine;
using Adapters.Training.Methods;
using Adapters.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Integration.Tests.AdapterExport;

/// <summary>
/// stories260K with one randomised adapter per method, each attached to its own TorchSharp model
/// (the numerical reference) and saved as an adapter folder for the exporter. Random values
/// instead of training keep it fast; they are large enough to change greedy text.
/// </summary>
public sealed class TorchAdapters : IDisposable
{
    /// <summary>Noise added to every adapter parameter: LoRA's B starts at zero and would otherwise change nothing.</summary>
    const double ParameterNoise = 0.15;
    const int Seed = 11;

    readonly Dictionary<string, (LlamaModel Model, IAdapterMethod Method, string Folder)> _adapters = [];

    public TorchAdapters()
    {
        Root = SharedModels.NewTempFolder("adapter-export");
        Weights = Llama2cCheckpoint.Read(SharedModels.Stories260K);
        Fingerprint = ModelFingerprint.Of(Weights);
        foreach (string name in Methods.Concat(FoldableMethods))
        {
            var model = LlamaModel.FromWeights(Weights);
            var method = NewMethod(name, model.Config);
            method.Attach(model);
            string folder = Path.Combine(Root, name);
            AdapterStore.Save(folder, method, Fingerprint);
            _adapters[name] = (model, method, folder);
        }
    }

    public static readonly IReadOnlyList<string> Methods = [AdapterMethods.Lora, AdapterMethods.LoReft, AdapterMethods.DiReft];

    /// <summary>Weight-delta methods of the research base, exported fused.</summary>
    public static readonly IReadOnlyList<string> FoldableMethods =
        [AdapterMethods.Circulant, AdapterMethods.Toeplitz, AdapterMethods.Kronecker, AdapterMethods.Ldr, AdapterMethods.Gmt, AdapterMethods.TarpStatic];

    public string Root { get; }
    public LlamaWeights Weights { get; }
    public ModelFingerprint Fingerprint { get; }

    public string Folder(string method) => _adapters[method].Folder;

    /// <summary>The TorchSharp engine with the adapter attached (borrowed; disposed with this fixture).</summary>
    public AdapterDecoderModel Reference(string method) => new(_adapters[method].Model, _adapters[method].Method);

    static IAdapterMethod NewMethod(string name, LlamaConfig config)
    {
        var method = name switch
        {
            AdapterMethods.Lora => AdapterMethodRegistry.Create(name, new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "v_proj", "o_proj", "down_proj"] }, config, seed: Seed),
            AdapterMethods.LoReft or AdapterMethods.DiReft =>
                AdapterMethodRegistry.Create(name, new ReftConfig { Rank = 4, Positions = "f3+l3", Layers = [1, 3], Untied = name == AdapterMethods.DiReft }, config, seed: Seed),
            AdapterMethods.Gmt => AdapterMethodRegistry.Create(name, new GmtConfig { TargetModules = ["q_proj", "down_proj"], Layers = [0, 2] }, config, seed: Seed),
            AdapterMethods.TarpStatic => AdapterMethodRegistry.Create(name, new TarpConfig { Rank = 2, TargetModules = ["v_proj", "up_proj"] }, config, seed: Seed),
            // toeplitz and kronecker serve non-square projections too; circulant and ldr need square ones.
            AdapterMethods.Toeplitz or AdapterMethods.Kronecker =>
                AdapterMethodRegistry.Create(name, new StructuredConfig { TargetModules = ["q_proj", "k_proj", "gate_proj"], Layers = [1, 4] }, config, seed: Seed),
            _ => AdapterMethodRegistry.Create(name, new StructuredConfig { Rank = name == AdapterMethods.Ldr ? 2 : 1, TargetModules = ["q_proj", "o_proj"], Layers = [1, 4] }, config, seed: Seed),
        };
        var generator = new Generator(Seed);
        using (no_grad())
            foreach (var (_, p) in method.Parameters) p.add_(randn(p.shape, generator: generator) * ParameterNoise);
        return method;
    }

    public void Dispose()
    {
        foreach (var (model, method, _) in _adapters.Values)
        {
            method.Dispose();
            model.Dispose();
        }
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
