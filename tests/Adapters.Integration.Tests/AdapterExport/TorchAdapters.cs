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
        foreach (string name in Methods)
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

    public string Root { get; }
    public LlamaWeights Weights { get; }
    public ModelFingerprint Fingerprint { get; }

    public string Folder(string method) => _adapters[method].Folder;

    /// <summary>The TorchSharp engine with the adapter attached (borrowed; disposed with this fixture).</summary>
    public AdapterDecoderModel Reference(string method) => new(_adapters[method].Model, _adapters[method].Method);

    static IAdapterMethod NewMethod(string name, LlamaConfig config)
    {
        var method = name == AdapterMethods.Lora
            ? AdapterMethodRegistry.Create(name, new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "v_proj", "o_proj", "down_proj"] }, config, seed: Seed)
            : AdapterMethodRegistry.Create(name, new ReftConfig { Rank = 4, Positions = "f3+l3", Layers = [1, 3], Untied = name == AdapterMethods.DiReft }, config, seed: Seed);
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
