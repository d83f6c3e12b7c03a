using Adapters.Core.Adapters.WeightDeltas;
using System.Text.RegularExpressions;
using Adapters.Core.Adapters;
using Adapters.Core.Exported;
using Adapters.Core.Model;
using Adapters.Export.Onnx;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// Exports a base model with adapters (the library behind <c>adapters export --adapter DIR...
/// --mode fused|swappable|batched</c>):
/// <list type="bullet">
/// <item>fused: weight-delta adapters folded into the weights, a plain model folder;</item>
/// <item>swappable: the decoder with adapter inputs (defaults = base model), plus per adapter
/// adapters/{name}.onnx_adapter (ONNX Runtime / GenAI) and adapters/{name}.adapter.json;</item>
/// <item>batched: the decoder with stacked adapter inputs and adapter_index, plus the same adapter files.</item>
/// </list>
/// The folder appears complete or not at all.
/// </summary>
public static partial class AdapterExporter
{
    /// <summary>Subfolder of the exported adapters.</summary>
    public const string AdaptersFolder = "adapters";

    [GeneratedRegex("[^A-Za-z0-9_.-]")]
    private static partial Regex UnsafeNameCharacters();

    /// <summary>Reads each adapter path (anything <see cref="AdapterSourceReader"/> reads) for <paramref name="weights"/>, then exports.</summary>
    public static AdapterExportResult Export(LlamaWeights weights, IReadOnlyList<string> adapterPaths, string folder, AdapterExportOptions? options = null) =>
        Export(weights, ReadSources(weights, adapterPaths), folder, options);

    /// <summary>Reads each adapter path (anything <see cref="AdapterSourceReader"/> reads) for <paramref name="weights"/>, named uniquely after its folder.</summary>
    public static IReadOnlyList<AdapterSource> ReadSources(LlamaWeights weights, IReadOnlyList<string> adapterPaths)
    {
        var fingerprint = ModelFingerprint.Of(weights);
        var sources = new List<AdapterSource>();
        foreach (string path in adapterPaths)
        {
            var location = AdapterSourceReader.Locate(path);
            var adapter = AdapterSourceReader.Read(location, weights.Config, fingerprint);
            sources.Add(new AdapterSource(UniqueName(SafeName(location.Name), sources), adapter));
        }
        return sources;
    }

    public static AdapterExportResult Export(LlamaWeights weights, IReadOnlyList<AdapterSource> adapters, string folder, AdapterExportOptions? options = null)
    {
        options = (options ?? new AdapterExportOptions()).Validate();
        var fingerprint = ModelFingerprint.Of(weights);
        foreach (var source in adapters)
        {
            if (UnsafeNameCharacters().IsMatch(source.Name) || source.Name.Length == 0)
                throw new ArgumentException($"adapter name '{source.Name}' may only hold letters, digits, '_', '.' and '-'");
            if (source.Adapter.Manifest.BaseModel != fingerprint)
                throw new ArgumentException($"adapter '{source.Name}' was trained on base model {source.Adapter.Manifest.BaseModel}, not on {fingerprint}");
        }
        if (adapters.Select(a => a.Name).Distinct().Count() != adapters.Count) throw new ArgumentException("adapter names must be unique");

        if (options.Mode == AdapterExportMode.Fused)
        {
            if (adapters.Count == 0) throw new ArgumentException("a fused export needs at least one adapter");
            var fused = Fuse(weights, adapters);
            var manifest = LlamaOnnxExporter.Export(fused, folder, options.Model);
            return new AdapterExportResult(manifest, []);
        }
        return ExportWithInputs(weights, adapters, folder, options, fingerprint);
    }

    /// <summary>
    /// W' = W + Σ ΔW over the adapters, each ΔW materialised by core's one implementation per
    /// method (<see cref="AdapterWeightDelta"/>); a new set of weights, checked for NaN/Inf.
    /// </summary>
    static LlamaWeights Fuse(LlamaWeights weights, IReadOnlyList<AdapterSource> adapters)
    {
        var fused = weights;
        foreach (var source in adapters)
        {
            string method = source.Adapter.Manifest.Method;
            if (AdapterMethods.NotExportable.TryGetValue(method, out string? why))
                throw new ArgumentException($"a {method} adapter cannot be exported: {why}");
            if (!AdapterMethods.IsFoldable(method))
                throw new ArgumentException($"adapter '{source.Name}' ({method}) edits prompt positions, not weights, and cannot be fused; export it swappable or batched");
            // tarp-static scales the original W, so its delta is always taken against the base weights.
            fused = WeightDeltaFolding.Fold(fused, new AdapterWeightDelta(source.Adapter, weights.Config, weights));
        }
        return fused;
    }

    static AdapterExportResult ExportWithInputs(LlamaWeights weights, IReadOnlyList<AdapterSource> adapters, string folder,
        AdapterExportOptions options, ModelFingerprint fingerprint)
    {
        var config = weights.Config;
        var context = new AdapterExportContext(config) { BaseWeights = weights, SvdRank = options.SvdRank };
        var values = adapters.Select(a => (a.Name, a.Adapter, Values: AdapterExportRules.For(a.Adapter.Manifest.Method).GraphValues(a.Adapter, context))).ToList();

        var sites = values.SelectMany(v => v.Values.Projections)
            .Concat(options.ExtraLoraTargets.SelectMany(p => Enumerable.Range(0, config.NumLayers).Select(l => (l, p))))
            .Distinct().ToList();
        foreach (var (_, p) in sites) LlamaTensorNames.ProjectionShape(config, p); // names an unknown projection
        var layers = values.SelectMany(v => v.Values.EditedLayers).Concat(options.ExtraEditedLayers).Distinct().ToList();
        foreach (int l in layers)
            if (l < 0 || l >= config.NumLayers) throw new ArgumentException($"layer {l} is out of range for a {config.NumLayers}-layer model");

        AdapterSlotExtension? slots = null;
        if (options.Mode == AdapterExportMode.Batched)
        {
            int maxRank = options.MaxRank ?? Math.Max(1, values.Select(v => v.Values.Rank).DefaultIfEmpty(1).Max());
            var tooLarge = values.FirstOrDefault(v => v.Values.Rank > maxRank);
            if (tooLarge.Name is not null)
                throw new ArgumentException($"adapter '{tooLarge.Name}' has rank {tooLarge.Values.Rank}, larger than the slot rank {maxRank}");
            slots = new AdapterSlotExtension(options.Slots ?? Math.Max(1, adapters.Count), maxRank);
        }
        var lora = new LoraGraphExtension(sites, slots);
        var edits = new ResidualEditGraphExtension(layers, slots);
        var extensions = new List<ILlamaGraphExtension>();
        if (slots is not null) extensions.Add(slots);
        extensions.AddRange([lora, edits]);
        extensions.AddRange(options.Model.Extensions);

        var manifests = values.Select(v => ManifestOf(v.Name, v.Adapter, v.Values, fingerprint)).ToList();

        var adapterInterface = new ExportedAdapterInterface
        {
            Mode = options.Mode,
            Inputs = lora.Inputs(config).Concat(edits.Inputs(config)).ToList(),
            PositionMasks = edits.PositionMasks,
            Slots = slots?.Slots ?? 0,
            MaxRank = slots?.MaxRank ?? 0,
            AdapterIndex = slots is null ? null : AdapterInputNames.AdapterIndex,
            Adapters = manifests.ToDictionary(m => m.Name, m => $"{AdaptersFolder}/{m.Name}{ExportedAdapterManifest.FileSuffix}"),
        };
        var modelOptions = options.Model with
        {
            Extensions = extensions,
            AdapterInterface = adapterInterface,
            WriteAdditionalFiles = tmp =>
            {
                options.Model.WriteAdditionalFiles?.Invoke(tmp);
                string dir = Path.Combine(tmp, AdaptersFolder);
                Directory.CreateDirectory(dir);
                for (int i = 0; i < manifests.Count; i++)
                {
                    OnnxAdapterWriter.Write(Path.Combine(dir, manifests[i].File), values[i].Values.Tensors);
                    File.WriteAllText(Path.Combine(dir, manifests[i].Name + ExportedAdapterManifest.FileSuffix), manifests[i].ToJson());
                }
            },
        };
        var model = LlamaOnnxExporter.Export(weights, folder, modelOptions);
        return new AdapterExportResult(model, manifests);
    }

    /// <summary>
    /// Writes one more adapter for an existing swappable or batched export (e.g. a new version to
    /// hot-swap). Weight-delta methods with no LoRA form need <paramref name="svdRank"/> (and
    /// tarp-static <paramref name="baseWeights"/>).
    /// </summary>
    public static ExportedAdapterManifest WriteAdapter(LlamaConfig config, ModelFingerprint baseModel, AdapterSource source, string directory,
        int? svdRank = null, LlamaWeights? baseWeights = null)
    {
        var context = new AdapterExportContext(config) { BaseWeights = baseWeights, SvdRank = svdRank };
        var values = AdapterExportRules.For(source.Adapter.Manifest.Method).GraphValues(source.Adapter, context);
        var manifest = ManifestOf(source.Name, source.Adapter, values, baseModel);
        Directory.CreateDirectory(directory);
        OnnxAdapterWriter.Write(Path.Combine(directory, manifest.File), values.Tensors);
        Core.IO.AtomicFile.WriteAllText(Path.Combine(directory, manifest.Name + ExportedAdapterManifest.FileSuffix), manifest.ToJson());
        return manifest;
    }

    /// <summary>The one description of an exported adapter: {name}.adapter.json beside {name}.onnx_adapter.</summary>
    static ExportedAdapterManifest ManifestOf(string name, AdapterFolder adapter, AdapterGraphValues values, ModelFingerprint baseModel) => new()
    {
        Name = name,
        Method = adapter.Manifest.Method,
        Rank = values.Rank,
        BaseModel = baseModel,
        File = name + ExportedAdapterManifest.AdapterFileSuffix,
        Inputs = values.Tensors.ToDictionary(t => t.Name, t => t.Shape, StringComparer.Ordinal),
        Positions = values.Positions?.ToString(),
        Hyperparameters = adapter.Manifest.Hyperparameters,
        SvdRelativeError = values.SvdRelativeError,
        SvdProjectionErrors = values.SvdProjectionErrors,
    };

    /// <summary>An adapter's folder (or run) name made safe for file names.</summary>
    static string SafeName(string name)
    {
        name = UnsafeNameCharacters().Replace(name, "_");
        return name.Length == 0 ? "adapter" : name;
    }

    static string UniqueName(string name, IReadOnlyList<AdapterSource> taken)
    {
        string candidate = name;
        for (int n = 2; taken.Any(s => s.Name == candidate); n++) candidate = $"{name}-{n}";
        return candidate;
    }
}
