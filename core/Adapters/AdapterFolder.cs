using System.Numerics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Adapters.Core.Checkpoints;
using Adapters.Core.IO;
using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

/// <summary>
/// An adapter on disk: a folder with manifest.json and its weights (.safetensors). Reading
/// checks the format version, the base-model fingerprint, every tensor's presence and shape,
/// and that all values are finite — a bad folder is refused whole with a message naming it.
/// Each file is opened once through <see cref="UntrustedFolder"/> (regular files only, size-limited).
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

    /// <summary>Reads manifest.json of <paramref name="folder"/> (a folder the caller named itself: no confinement).</summary>
    public static AdapterManifest ReadManifest(string folder)
    {
        using var opened = UntrustedFolder.Open(folder, FileConfinement.Anywhere);
        return ReadManifest(opened);
    }

    /// <summary>Reads manifest.json of an opened folder: a regular file within <see cref="UntrustedFile.MaxJsonBytes"/>.</summary>
    public static AdapterManifest ReadManifest(UntrustedFolder folder, CancellationToken cancel = default)
    {
        if (!folder.HasFile(AdapterManifest.FileName))
            throw new InvalidFileException(folder.PathOf(AdapterManifest.FileName), "file not found (an adapter folder needs manifest.json)");
        var file = folder.Read(AdapterManifest.FileName, UntrustedFile.MaxJsonBytes, "a JSON manifest", cancel);
        return ParseManifest(file.Path, file.Bytes);
    }

    /// <summary>
    /// Parses manifest.json: an object with a known method, its hyperparameters, the base model, and
    /// a weights file that is a plain name beside it. Errors name <paramref name="path"/>, never quote it.
    /// </summary>
    public static AdapterManifest ParseManifest(string path, byte[] bytes)
    {
        AdapterManifest? manifest;
        try { manifest = JsonSerializer.Deserialize<AdapterManifest>(bytes, AdapterManifest.Json); }
        catch (JsonException e) { throw new InvalidFileException(path, "not a valid adapter manifest: " + JsonProblem.Describe(e)); }
        catch (InvalidOperationException) { throw new InvalidFileException(path, "not a valid adapter manifest: " + JsonProblem.InvalidText); }
        catch (ArgumentException) { throw new InvalidFileException(path, "not a valid adapter manifest: a field is given twice"); }
        if (manifest is null) throw new InvalidFileException(path, "not a valid adapter manifest: it is JSON null, not an object");
        if (manifest.FormatVersion != AdapterManifest.CurrentFormatVersion)
            throw new InvalidFileException(path, $"format_version {manifest.FormatVersion} is not supported (this build reads {AdapterManifest.CurrentFormatVersion})");
        if (string.IsNullOrEmpty(manifest.Method)) throw new InvalidFileException(path, "missing field 'method'");
        if (!AdapterMethods.All.Contains(manifest.Method))
            throw new InvalidFileException(path, $"unknown adapter method '{manifest.Method}'; expected one of {string.Join(", ", AdapterMethods.All)}");
        if (manifest.Hyperparameters is null) throw new InvalidFileException(path, "missing field 'hyperparameters'");
        if (manifest.BaseModel is not { Shape: not null, EmbeddingSha256: not null }) throw new InvalidFileException(path, "missing field 'base_model' (shape and embedding_sha256)");
        if (!UntrustedFolder.IsPlainName(manifest.WeightsFile))
            throw new InvalidFileException(path, $"'weights' must be a plain file name in the adapter folder, got '{manifest.WeightsFile}'");
        return manifest;
    }

    /// <param name="baseModel">When given, the adapter must have been trained on this base model.</param>
    public static AdapterFolder Read(string folder, LlamaConfig model, ModelFingerprint? baseModel = null)
    {
        using var opened = UntrustedFolder.Open(folder, FileConfinement.Anywhere);
        return Read(opened, model, baseModel);
    }

    /// <summary>
    /// Reads an opened adapter folder: manifest.json, then its weights file, each opened once, the
    /// weights refused before reading when larger than the tensors the manifest declares can need.
    /// </summary>
    public static AdapterFolder Read(UntrustedFolder folder, LlamaConfig model, ModelFingerprint? baseModel, CancellationToken cancel = default)
    {
        var manifest = ReadManifest(folder, cancel);
        string manifestPath = folder.PathOf(AdapterManifest.FileName);
        var expected = ExpectedTensors(manifestPath, manifest, model, baseModel);
        var weights = folder.Read(manifest.WeightsFile, MaxWeightsBytes(expected), "the tensors its manifest declares", cancel);
        return FromWeights(manifest, expected, SafeTensorsFile.Parse(weights.Path, weights.Bytes));
    }

    /// <summary>Checks the manifest against the model (base model, hyperparameters) and lists the tensors it declares.</summary>
    public static List<(string Name, int[] Shape)> ExpectedTensors(string manifestPath, AdapterManifest manifest, LlamaConfig model, ModelFingerprint? baseModel)
    {
        if (baseModel != null && manifest.BaseModel != baseModel)
            throw new InvalidFileException(manifestPath, $"adapter was trained on base model {manifest.BaseModel}, not on {baseModel}");
        try { return AdapterSchemas.ExpectedTensors(manifest, model).ToList(); }
        catch (JsonException e) { throw new InvalidFileException(manifestPath, $"{manifest.Method} hyperparameters: {JsonProblem.Describe(e)}"); }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or InvalidOperationException or FormatException)
        { throw new InvalidFileException(manifestPath, e.Message); }
    }

    /// <summary>
    /// The most bytes a weights file holding <paramref name="expected"/> can need: every tensor as
    /// F64 stored sparse (8-byte index + 8-byte value per entry), plus a generous header.
    /// </summary>
    public static long MaxWeightsBytes(IEnumerable<(string Name, int[] Shape)> expected)
    {
        const long WorstBytesPerEntry = 16, HeaderBase = 1 << 20, HeaderPerTensor = 2048;
        long total = 8 + HeaderBase;
        try
        {
            foreach (var (_, shape) in expected)
            {
                long bytes = WorstBytesPerEntry;
                foreach (int d in shape) bytes = checked(bytes * d);
                total = checked(total + HeaderPerTensor + bytes);
            }
        }
        catch (OverflowException) { return long.MaxValue; }
        return total;
    }

    /// <summary>The adapter from a parsed weights file: every expected tensor present (dense or sparse) with its shape and finite values, nothing else.</summary>
    public static AdapterFolder FromWeights(AdapterManifest manifest, IReadOnlyList<(string Name, int[] Shape)> expected, SafeTensorsFile file)
    {
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

    public static void EnsureFinite(string path, TensorData t) => EnsureFinite(path, t.Name, t.Data);

    /// <summary>Refuses NaN and infinities in tensor <paramref name="name"/>'s values, naming the file, tensor and index.</summary>
    public static void EnsureFinite(string path, string name, ReadOnlySpan<float> values)
    {
        int bad = FirstNonFinite(values);
        if (bad >= 0)
            throw new InvalidFileException(path, $"tensor '{name}' holds a non-finite value ({values[bad]}) at flat index {bad}");
    }

    /// <summary>
    /// Index of the first NaN or infinity, or -1: those are the floats whose exponent bits are all
    /// set. Compared a vector at a time, since a server checks every adapter it reads back.
    /// </summary>
    static int FirstNonFinite(ReadOnlySpan<float> values)
    {
        const int ExponentBits = 0x7F80_0000;
        var bits = MemoryMarshal.Cast<float, int>(values);
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var exponent = new Vector<int>(ExponentBits);
            for (; i <= bits.Length - Vector<int>.Count; i += Vector<int>.Count)
                if (Vector.EqualsAny(new Vector<int>(bits[i..]) & exponent, exponent)) break;
        }
        for (; i < bits.Length; i++)
            if ((bits[i] & ExponentBits) == ExponentBits) return i;
        return -1;
    }
}
