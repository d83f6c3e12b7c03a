using Adapters.Core.IO;
using Adapters.Core.Adapters;
using Adapters.Core.Exported;
using Adapters.Core.Model;

namespace Adapters.Runtime.Serving;

/// <summary>
/// One version of an exported adapter in memory, checked against the model it will run on:
/// manifest format, base-model fingerprint, every parameter a graph input of that model with an
/// accepted shape (and rank within a batched export's slot rank), the file complete, all values
/// finite. Immutable, so requests that hold it see the same values for as long as they run.
/// </summary>
public sealed class LoadedAdapter
{
    LoadedAdapter(string name, long id, string manifestPath, ExportedAdapterManifest manifest, IReadOnlyDictionary<string, TensorData> tensors)
    {
        Name = name;
        Id = id;
        ManifestPath = manifestPath;
        Manifest = manifest;
        Tensors = tensors;
        Positions = manifest.Positions is { } text ? PositionSpec.Parse(text) : null;
        ByteCount = tensors.Values.Sum(t => (long)t.Data.Length * sizeof(float));
    }

    /// <summary>The name it is registered under.</summary>
    public string Name { get; }

    /// <summary>Unique per load within a process: a replaced adapter's new version has a new id.</summary>
    public long Id { get; }

    public string ManifestPath { get; }
    public ExportedAdapterManifest Manifest { get; }

    /// <summary>Values by graph input name.</summary>
    public IReadOnlyDictionary<string, TensorData> Tensors { get; }

    /// <summary>Prompt positions its residual edits apply to; null when it has none.</summary>
    public PositionSpec? Positions { get; }

    public long ByteCount { get; }

    static long _nextId;

    /// <summary>Reads and checks an exported adapter for <paramref name="model"/>; errors name the file and the problem.</summary>
    public static LoadedAdapter Read(string name, string manifestPath, ExportedModel model)
    {
        var adapterInterface = model.Manifest.Adapters;
        if (adapterInterface is null || adapterInterface.Mode == AdapterExportMode.Fused)
            throw new InvalidFileException(model.Folder, "this model was exported without adapter inputs (plain or fused); export it swappable or batched to serve adapters");
        var manifest = ExportedAdapterManifest.Read(manifestPath);
        if (model.Manifest.Fingerprint is { } fingerprint && manifest.BaseModel != fingerprint)
            throw new InvalidFileException(manifestPath, $"adapter belongs to base model {manifest.BaseModel}, not to this model ({fingerprint})");
        string filePath = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(manifestPath))!, manifest.File);
        var file = OnnxAdapterFile.Read(filePath);

        var tensors = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        foreach (var t in file.Parameters)
        {
            var spec = adapterInterface.Find(t.Name)
                ?? throw new InvalidFileException(filePath, $"parameter '{t.Name}' is not an adapter input of this model (its adapter inputs were fixed at export)");
            if (!spec.Accepts(t.Shape, out int rank))
                throw new InvalidFileException(filePath, $"parameter '{t.Name}' has shape {t.ShapeText}, the model expects {spec}");
            if (adapterInterface.Mode == AdapterExportMode.Batched && rank > spec.RankCapacity(adapterInterface.MaxRank))
                throw new InvalidFileException(filePath, spec.RankBlocks == 1
                    ? $"parameter '{t.Name}' has rank {rank}, larger than this batched export's slot rank {adapterInterface.MaxRank}"
                    : $"parameter '{t.Name}' has rank {rank} over its {spec.RankBlocks} packed projections, more than this batched export's slot rank {adapterInterface.MaxRank} allows ({spec.RankCapacity(adapterInterface.MaxRank)})");
            if (!manifest.Inputs.TryGetValue(t.Name, out var declared) || !t.HasShape(declared))
                throw new InvalidFileException(filePath, $"parameter '{t.Name}' {t.ShapeText} is not in the adapter manifest with that shape");
            AdapterFolder.EnsureFinite(filePath, t);
            tensors[t.Name] = t;
        }
        var missing = manifest.Inputs.Keys.FirstOrDefault(n => !tensors.ContainsKey(n));
        if (missing is not null) throw new InvalidFileException(filePath, $"parameter '{missing}' named by the manifest is missing");
        return new LoadedAdapter(name, Interlocked.Increment(ref _nextId), Path.GetFullPath(manifestPath), manifest, tensors);
    }

    public override string ToString() => $"{Name} (#{Id}, {Manifest.Method}, rank {Manifest.Rank})";
}
