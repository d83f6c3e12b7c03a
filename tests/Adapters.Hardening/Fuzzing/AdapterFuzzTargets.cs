using System.Text;
using System.Text.Json.Nodes;
using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Exported;
using Adapters.Core.IO;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.Export.AdapterExport;
using Adapters.Runtime.Serving;
using Adapters.TestSupport;

namespace Adapters.Hardening.Fuzzing;

/// <summary>
/// The adapter readers under fuzzing, with valid seeds made here for a tiny random model (2 layers,
/// dim 32) exported swappable: each reader on its own bytes (safetensors, manifest.json, PEFT
/// adapter_config.json, exported *.adapter.json, .onnx_adapter), and whole adapters read from a
/// folder as every stage reads them (ours and PEFT through <see cref="AdapterSourceReader"/>,
/// exported ones through <see cref="LoadedAdapter"/>), one of their files mutated.
/// </summary>
public sealed class AdapterFuzzTargets : IDisposable
{
    static readonly LlamaConfig Config = new() { Dim = 32, HiddenDim = 48, NumLayers = 2, NumHeads = 4, NumKvHeads = 2, VocabSize = 40, MaxSeqLen = 16 };

    readonly string _root = SharedModels.NewTempFolder("adapter-fuzz");
    readonly ModelFingerprint _fingerprint;
    readonly ExportedModel _export;
    readonly FileConfinement _confinement;
    readonly List<(string Folder, AdapterManifest Manifest)> _ours = [];
    readonly List<string> _oursFolders = [];

    public AdapterFuzzTargets()
    {
        var weights = RandomCheckpoint.Create(Config, seed: 3);
        _fingerprint = ModelFingerprint.Of(weights);
        var adapters = new List<AdapterSource>
        {
            new("lora", Random(AdapterMethods.Lora, new LoraConfig { Rank = 2, Alpha = 4, TargetModules = ["q_proj", "v_proj", "down_proj"] }, seed: 1)),
            new("loreft", Random(AdapterMethods.LoReft, new ReftConfig { Rank = 2, Positions = "f2+l2", Untied = true }, seed: 2)),
            new("direft", Random(AdapterMethods.DiReft, new ReftConfig { Rank = 2, Positions = "l3", Layers = [1] }, seed: 3)),
            new("gmt", Random(AdapterMethods.Gmt, new GmtConfig { TargetModules = ["o_proj"] }, seed: 4, density: 0.1)),
        };
        foreach (var a in adapters)
        {
            string folder = Path.Combine(_root, "ours", a.Name);
            AdapterFolder.Write(folder, a.Adapter.Manifest, a.Adapter.Tensors.Values, sparseWhenSmaller: true);
            _ours.Add((folder, a.Adapter.Manifest));
            _oursFolders.Add(folder);
        }
        string peft = Path.Combine(_root, "ours", "peft");
        PeftLoraFormat.Write(peft, adapters[0].Adapter.Manifest.HyperparametersAs<LoraConfig>(), Config, adapters[0].Adapter.Tensors);
        _oursFolders.Add(peft);

        string exportFolder = Path.Combine(_root, "export");
        AdapterExporter.Export(weights, adapters.Take(3).ToList(), exportFolder, new AdapterExportOptions { Mode = AdapterExportMode.Swappable });
        _export = ExportedModel.Open(exportFolder);
        _confinement = new FileConfinement([_root]);
    }

    AdapterFolder Random<T>(string method, T config, int seed, double density = 1)
    {
        var hyperparameters = AdapterManifest.ToJsonObject(config);
        var rng = new Random(seed);
        var tensors = AdapterSchemas.ExpectedTensors(method, hyperparameters, Config).ToDictionary(e => e.Name, e => new TensorData(e.Name, e.Shape,
            Enumerable.Range(0, (int)TensorData.ElementCount(e.Shape)).Select(_ => rng.NextDouble() < density ? (float)(rng.NextDouble() - 0.5) : 0f).ToArray()));
        return new AdapterFolder(new AdapterManifest { Method = method, Hyperparameters = hyperparameters, BaseModel = _fingerprint }, tensors);
    }

    string ExportedManifest(string name) => Path.Combine(_export.Folder, AdapterExporter.AdaptersFolder, name + ExportedAdapterManifest.FileSuffix);
    string ExportedFile(string name) => Path.Combine(_export.Folder, AdapterExporter.AdaptersFolder, name + ExportedAdapterManifest.AdapterFileSuffix);

    public IReadOnlyList<FuzzTarget> All =>
    [
        SafeTensors(), OurManifest(), PeftConfig(), ExportedManifestTarget(), OnnxAdapter(), ExportedAdapterFiles(), AdapterFolderFiles(),
    ];

    /// <summary>The safetensors reader, then every tensor read, then the whole adapter its seed came from.</summary>
    FuzzTarget SafeTensors()
    {
        var seeds = _oursFolders.Select(f => File.ReadAllBytes(Directory.GetFiles(f, "*.safetensors").Single())).ToList();
        return new FuzzTarget("safetensors", seeds, (seed, input) =>
        {
            var file = SafeTensorsFile.Parse("fuzz.safetensors", input);
            foreach (var e in file.Entries)
            {
                if (e.DType is "I32" or "I64") file.ReadInt64(e.Name);
                else if (e.DType is "F32" or "F16" or "BF16" or "F64") file.ReadFloat(e.Name);
            }
            if (seed < _ours.Count)
            {
                var manifest = _ours[seed].Manifest;
                AdapterFolder.FromWeights(manifest, AdapterSchemas.ExpectedTensors(manifest, Config).ToList(), file);
            }
        });
    }

    FuzzTarget OurManifest() => new("manifest.json", _ours.Select(o => File.ReadAllBytes(Path.Combine(o.Folder, AdapterManifest.FileName))).ToList(), (_, input) =>
    {
        var manifest = AdapterFolder.ParseManifest("manifest.json", input);
        AdapterFolder.MaxWeightsBytes(AdapterFolder.ExpectedTensors("manifest.json", manifest, Config, _fingerprint));
    });

    FuzzTarget PeftConfig()
    {
        byte[] list = File.ReadAllBytes(Path.Combine(_oursFolders[^1], PeftLoraFormat.ConfigFile));
        var regex = JsonNode.Parse(list)!.AsObject();
        regex["target_modules"] = @"model\.layers\.[01]\.(self_attn\.(q|v)_proj|mlp\.down_proj)";
        regex.Remove("layers_to_transform");
        var layered = JsonNode.Parse(list)!.AsObject();
        layered["layers_to_transform"] = new JsonArray(0, 1);
        layered["rank_pattern"] = new JsonObject();
        return new FuzzTarget("adapter_config.json", [list, Encoding.UTF8.GetBytes(regex.ToJsonString()), Encoding.UTF8.GetBytes(layered.ToJsonString())], (_, input) =>
            PeftAdapterConfig.Parse("adapter_config.json", input, Config).ExpectedTensors(Config).ToList());
    }

    FuzzTarget ExportedManifestTarget() =>
        new("adapter.json", new[] { "lora", "loreft", "direft" }.Select(n => File.ReadAllBytes(ExportedManifest(n))).ToList(),
            (_, input) => ExportedAdapterManifest.Parse("x.adapter.json", input));

    FuzzTarget OnnxAdapter() =>
        new("onnx_adapter", new[] { "lora", "loreft", "direft" }.Select(n => File.ReadAllBytes(ExportedFile(n))).ToList(),
            (_, input) => OnnxAdapterFile.Parse("x.onnx_adapter", input));

    /// <summary>An exported adapter checked against the model: seed 2k is adapter k's manifest, 2k+1 its .onnx_adapter.</summary>
    FuzzTarget ExportedAdapterFiles()
    {
        string[] names = ["lora", "loreft", "direft"];
        var originals = names.SelectMany(n => new[] { File.ReadAllBytes(ExportedManifest(n)), File.ReadAllBytes(ExportedFile(n)) }).ToList();
        string work = Directory.CreateDirectory(Path.Combine(_root, "exported-work")).FullName;
        return new FuzzTarget("exported adapter files", originals, (seed, input) =>
        {
            string name = names[seed / 2];
            string manifest = Path.Combine(work, name + ExportedAdapterManifest.FileSuffix);
            File.WriteAllBytes(manifest, seed % 2 == 0 ? input : originals[seed - 1]);
            File.WriteAllBytes(Path.Combine(work, name + ExportedAdapterManifest.AdapterFileSuffix), seed % 2 == 1 ? input : originals[seed + 1]);
            LoadedAdapter.Read(name, manifest, _export);
        });
    }

    /// <summary>Training adapter folders read as the host reads them (confined): seed 2k is folder k's JSON file, 2k+1 its weights.</summary>
    FuzzTarget AdapterFolderFiles()
    {
        var files = _oursFolders.Select(f => (
            Json: Path.GetFileName(Directory.GetFiles(f, "*.json").Single()),
            Weights: Path.GetFileName(Directory.GetFiles(f, "*.safetensors").Single()))).ToList();
        var originals = _oursFolders.SelectMany((f, i) => new[] { File.ReadAllBytes(Path.Combine(f, files[i].Json)), File.ReadAllBytes(Path.Combine(f, files[i].Weights)) }).ToList();
        string work = Directory.CreateDirectory(Path.Combine(_root, "folder-work")).FullName;
        return new FuzzTarget("adapter folder files", originals, (seed, input) =>
        {
            var (json, weights) = files[seed / 2];
            foreach (string stale in Directory.GetFiles(work)) File.Delete(stale);
            int k = seed / 2;
            File.WriteAllBytes(Path.Combine(work, json), seed % 2 == 0 ? input : originals[2 * k]);
            File.WriteAllBytes(Path.Combine(work, weights), seed % 2 == 1 ? input : originals[2 * k + 1]);
            AdapterSourceReader.Read(work, Config, _fingerprint, _confinement);
        });
    }

    public void Dispose()
    {
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }
}
