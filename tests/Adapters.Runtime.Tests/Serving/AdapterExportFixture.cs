using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Exported;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.Export.AdapterExport;
using Adapters.TestSupport;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>
/// stories260K exported once swappable and once batched with the same seven adapters
/// (two LoRAs of different ranks and targets, tied and untied LoReFT and DiReFT), and loaded
/// once each. Shared by the serving tests.
/// </summary>
public class AdapterExportFixture : IDisposable
{
    public const int Slots = 8;

    public AdapterExportFixture() : this(new LlamaExportOptions { IntraOpThreads = 2 }) { }

    /// <param name="model">Base-model export options (e.g. a quantized base).</param>
    protected AdapterExportFixture(LlamaExportOptions model) : this(Llama2cCheckpoint.Read(SharedModels.Stories260K), model) { }

    /// <param name="weights">The base model (stories260K unless a test needs another shape).</param>
    protected AdapterExportFixture(LlamaWeights weights, LlamaExportOptions model)
    {
        Root = SharedModels.NewTempFolder("adapter-serving");
        Weights = weights;
        Adapters =
        [
            new("lora-a", RandomAdapters.Lora(Weights, seed: 1)),
            new("lora-b", RandomAdapters.Lora(Weights, seed: 2, rank: 2, targets: ["k_proj", "o_proj", "up_proj"])),
            new("loreft", RandomAdapters.Reft(Weights, AdapterMethods.LoReft, seed: 3)),
            new("loreft-untied", RandomAdapters.Reft(Weights, AdapterMethods.LoReft, seed: 4, untied: true, layers: [0, 2])),
            new("direft", RandomAdapters.Reft(Weights, AdapterMethods.DiReft, seed: 5, rank: 3)),
            new("direft-untied", RandomAdapters.Reft(Weights, AdapterMethods.DiReft, seed: 6, untied: true)),
            new("lora-c", RandomAdapters.Lora(Weights, seed: 7, rank: 3, targets: ["q_proj", "gate_proj"])),
        ];
        string swappable = Path.Combine(Root, "swappable");
        string batched = Path.Combine(Root, "batched");
        AdapterExporter.Export(Weights, Adapters, swappable, new AdapterExportOptions { Mode = AdapterExportMode.Swappable, Model = model });
        AdapterExporter.Export(Weights, Adapters, batched, new AdapterExportOptions { Mode = AdapterExportMode.Batched, Slots = Slots, Model = model });
        Swappable = OnnxDecoderModel.Load(swappable, TestRuntime.Options);
        Batched = OnnxDecoderModel.Load(batched, TestRuntime.Options);
    }

    public string Root { get; }
    public LlamaWeights Weights { get; }
    public IReadOnlyList<AdapterSource> Adapters { get; }
    public OnnxDecoderModel Swappable { get; }
    public OnnxDecoderModel Batched { get; }

    public IEnumerable<string> Names => Adapters.Select(a => a.Name);

    /// <summary>The exported adapter manifest of <paramref name="name"/> in an export folder.</summary>
    public static string ManifestPath(OnnxDecoderModel model, string name) =>
        Path.Combine(model.Exported.Folder, AdapterExporter.AdaptersFolder, name + ExportedAdapterManifest.FileSuffix);

    public static string AdapterFilePath(OnnxDecoderModel model, string name) =>
        Path.Combine(model.Exported.Folder, AdapterExporter.AdaptersFolder, name + ExportedAdapterManifest.AdapterFileSuffix);

    /// <summary>A fresh folder under the fixture root for a test's own files.</summary>
    public string NewFolder() => Directory.CreateDirectory(Path.Combine(Root, Guid.NewGuid().ToString("N"))).FullName;

    public void Dispose()
    {
        Swappable.Dispose();
        Batched.Dispose();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
