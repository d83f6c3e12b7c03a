using System.Text.Json;
using Adapters.Core.Checkpoints;
using Adapters.Core.IO;
using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

/// <summary>
/// An adapter on disk: a folder with manifest.json and its weights (.safetensors). Reading
/// checks the format version, the base-model fingerprint, every tensor's presence and shape,
/// and that all values are finite — a bad folder is refused whole with a message naming it.
/// </summary>
public sealed class AdapterFolder
{
    public AdapterFolder(AdapterManifest manifest, IReadOnlyDictionary<string, TensorData> tensors)
    {
        Manifest = manifest;
        Tensors = tensors;
    }

    public AdapterManifest Manifest { get; }
    public IReadOnlyDictionary<string, TensorData> Tensors { get; }

    public static AdapterManifest ReadManifest(string folder)
    {
        string path = Path.Combine(folder, AdapterManifest.FileName);
        if (!Directory.Exists(folder)) throw new InvalidFileException(folder, "adapter folder not found");
        if (!File.Exists(path)) throw new InvalidFileException(path, "file not found (an adapter folder needs manifest.json)");
        AdapterManifest manifest;
        try { manifest = JsonSerializer.Deserialize<AdapterManifest>(File.ReadAllText(path), AdapterManifest.Json)!; }
        catch (JsonException e) { throw new InvalidFileException(path, "not a valid adapter manifest: " + e.Message); }
        if (manifest.FormatVersion != AdapterManifest.CurrentFormatVersion)
            throw new InvalidFileException(path, $"format_version {manifest.FormatVersion} is not supported (this build reads {AdapterManifest.CurrentFormatVersion})");
        return manifest;
    }

    /// <param name="baseModel">When given, the adapter must have been trained on this base model.</param>
    public static AdapterFolder Read(string folder, LlamaConfig model, ModelFingerprint? baseModel = null)
    {
        var manifest = ReadManifest(folder);
        string manifestPath = Path.Combine(folder, AdapterManifest.FileName);
        if (baseModel != null && manifest.BaseModel != baseModel)
            throw new InvalidFileException(manifestPath, $"adapter was trained on base model {manifest.BaseModel}, not on {baseModel}");
        List<(string Name, int[] Shape)> expected;
        try { expected = AdapterSchemas.ExpectedTensors(manifest, model).ToList(); }
        catch (Exception e) when (e is ArgumentException or JsonException or InvalidDataException)
        { throw new InvalidFileException(manifestPath, e.Message); }

        var file = SafeTensorsFile.Open(Path.Combine(folder, manifest.WeightsFile));
        var tensors = new Dictionary<string, TensorData>(StringComparer.Ordinal);
        var consumed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, shape) in expected)
        {
            TensorData t;
            if (file.Contains(name)) t = file.ReadFloat(name, shape);
            else if (SparseTensorEncoding.IsStoredSparse(file, name))
            {
                t = SparseTensorEncoding.Decode(file, name, shape);
                consumed.Add(name + SparseTensorEncoding.IndicesSuffix);
                consumed.Add(name + SparseTensorEncoding.ValuesSuffix);
            }
            else throw new InvalidFileException(file.Path, $"missing tensor '{name}' (expected shape [{string.Join(", ", shape)}]) for {manifest.Method}");
            EnsureFinite(file.Path, t);
            tensors[name] = t;
            consumed.Add(name);
        }
        var unexpected = file.Entries.Select(e => e.Name).Where(n => !consumed.Contains(n)).ToList();
        if (unexpected.Count > 0)
            throw new InvalidFileException(file.Path, $"unexpected tensor '{unexpected[0]}' for a {manifest.Method} adapter with these hyperparameters");
        return new AdapterFolder(manifest, tensors);
    }

    /// <summary>Writes manifest + weights into a new folder atomically (an existing one is replaced whole).</summary>
    /// <param name="sparseWhenSmaller">Store each tensor that is mostly zeros sparse (<see cref="SparseTensorEncoding"/>); readers densify it.</param>
    public static void Write(string folder, AdapterManifest manifest, IEnumerable<TensorData> tensors, bool sparseWhenSmaller = false)
    {
        var list = tensors.ToList();
        foreach (var t in list) EnsureFinite(folder, t);
        var entries = list.SelectMany(t => sparseWhenSmaller && SparseTensorEncoding.IsSmallerSparse(t)
            ? SparseTensorEncoding.Encode(t) : [SafeTensorsFile.Float(t)]).ToList();
        AtomicFile.WriteDirectory(folder, tmp =>
        {
            SafeTensorsFile.Write(Path.Combine(tmp, manifest.WeightsFile), entries,
                new Dictionary<string, string> { ["format"] = "pt", ["method"] = manifest.Method });
            File.WriteAllText(Path.Combine(tmp, AdapterManifest.FileName), JsonSerializer.Serialize(manifest, AdapterManifest.Json));
        });
    }

    public static void EnsureFinite(string path, TensorData t)
    {
        int bad = Array.FindIndex(t.Data, v => !float.IsFinite(v));
        if (bad >= 0)
            throw new InvalidFileException(path, $"tensor '{t.Name}' holds a non-finite value ({t.Data[bad]}) at flat index {bad}");
    }
}
