using System.Security.Cryptography;
using Adapters.Core.IO;
using Adapters.Core.Adapters;
using Adapters.Core.Exported;
using Adapters.Core.Model;
using Microsoft.ML.OnnxRuntime;

namespace Adapters.Runtime.Serving;

/// <summary>
/// One version of an exported adapter in memory, checked against the model it will run on:
/// manifest format, base-model fingerprint, every parameter a graph input of that model with an
/// accepted shape (and rank within a batched export's slot rank), the file complete, all values
/// finite — the manifest checked against the model before the data is read, and against the data
/// after. Immutable, so requests that hold it see the same values for as long as they run.
/// <para>
/// Its values live in native memory (<see cref="AdapterValueBlock"/>), freed when it is disposed
/// (a registry disposes the versions it retires) and no lease holds it. Read them while you own an
/// undisposed version or hold a lease; a disposed one throws <see cref="ObjectDisposedException"/>.
/// </para>
/// </summary>
public sealed class LoadedAdapter : IDisposable
{
    readonly AdapterValueBlock _values;
    readonly Dictionary<string, int> _inputIndex;

    LoadedAdapter(string name, long id, string manifestPath, ExportedAdapterManifest manifest, string[] inputNames, AdapterValueBlock values)
    {
        Name = name;
        Id = id;
        ManifestPath = manifestPath;
        Manifest = manifest;
        InputNames = inputNames;
        _values = values;
        _inputIndex = new Dictionary<string, int>(inputNames.Length, StringComparer.Ordinal);
        for (int i = 0; i < inputNames.Length; i++) _inputIndex[inputNames[i]] = i;
        Positions = manifest.Positions is { } text ? PositionSpec.Parse(text) : null;
        ByteCount = Enumerable.Range(0, values.Count).Sum(i => (long)values.ElementCount(i) * sizeof(float));
    }

    /// <summary>The name it is registered under.</summary>
    public string Name { get; }

    /// <summary>Unique per load within a process: a replaced adapter's new version has a new id.</summary>
    public long Id { get; }

    public string ManifestPath { get; }
    public ExportedAdapterManifest Manifest { get; }

    /// <summary>The graph inputs it fills, in file order.</summary>
    public IReadOnlyList<string> InputNames { get; }

    /// <summary>Prompt positions its residual edits apply to; null when it has none.</summary>
    public PositionSpec? Positions { get; }

    public long ByteCount { get; }

    /// <summary>
    /// Leases of this version not yet disposed (<see cref="AdapterRegistry"/>): raised under the
    /// registry's lock, lowered without it, so the scheduler thread that ends a request never
    /// waits for a request thread that holds the lock.
    /// </summary>
    internal int Leases;

    /// <summary>A lease keeps the values in memory until <see cref="Unlease"/>, even if the version is disposed meanwhile.</summary>
    internal void Lease()
    {
        bool added = false;
        _values.DangerousAddRef(ref added);
        Interlocked.Increment(ref Leases);
    }

    internal void Unlease()
    {
        Interlocked.Decrement(ref Leases);
        _values.DangerousRelease();
    }

    /// <summary>One input's values and shape; false when this adapter does not fill <paramref name="input"/>.</summary>
    internal bool TryGetValues(string input, out ReadOnlySpan<float> values, out int[] shape)
    {
        if (!_inputIndex.TryGetValue(input, out int i))
        {
            values = default;
            shape = [];
            return false;
        }
        values = _values.Values(i);
        shape = _values.Shape(i);
        return true;
    }

    /// <summary>A float-array copy of every input's values, by input name (for checks and exports, not the serving path).</summary>
    public IReadOnlyDictionary<string, TensorData> CopyTensors() =>
        InputNames.Select((name, i) => new TensorData(name, _values.Shape(i), _values.Values(i).ToArray())).ToDictionary(t => t.Name, StringComparer.Ordinal);

    /// <summary>The values as graph inputs, in <see cref="InputNames"/> order: made on first use, kept with the values (nothing pinned).</summary>
    internal IReadOnlyList<OrtValue> FeedValues => _values.FeedValues;

    /// <summary>Frees the values once no lease holds them; the version must not be read afterwards.</summary>
    public void Dispose() => _values.Dispose();

    static long _nextId;

    /// <summary>Reads and checks an exported adapter for <paramref name="model"/> from files the caller named itself; errors name the file and the problem.</summary>
    public static LoadedAdapter Read(string name, string manifestPath, ExportedModel model) =>
        Read(name, manifestPath, model, FileConfinement.Anywhere, CancellationToken.None).Adapter;

    /// <summary>
    /// Reads and checks an exported adapter from files someone else controls: the manifest and the
    /// .onnx_adapter beside it are each opened once, through one handle on their folder, as regular
    /// files inside <paramref name="confinement"/>; the manifest is checked against the model before
    /// the adapter file is read, and that file is refused beyond the bytes the declared inputs need.
    /// Returns the adapter and the exact bytes it was checked from (what the registry stores).
    /// </summary>
    internal static ValidatedAdapter Read(string name, string manifestPath, ExportedModel model, FileConfinement confinement, CancellationToken cancel) =>
        Read(name, manifestPath, model, confinement, cancel, pooled: false,
            (adapter, manifestName, manifestBytes, adapterBytes) => new ValidatedAdapter(adapter, manifestName, manifestBytes, adapterBytes.Array!));

    /// <summary>
    /// Reads and checks like <see cref="Read(string, string, ExportedModel, FileConfinement, CancellationToken)"/>
    /// when the bytes need not be kept (a reload from the server's validated copy, whose content hash
    /// it returns for the caller to compare): the .onnx_adapter file is read into a pooled buffer,
    /// parsed and hashed there, so a reload allocates little more than the values the adapter keeps
    /// — not a new large-object-heap array for the file on every miss.
    /// </summary>
    /// <param name="validated">
    /// The manifest as parsed and checked against <paramref name="model"/> when the copy was made:
    /// used instead of parsing and checking the manifest's bytes again. Only for a caller that then
    /// compares the returned hash with the copy's (and disposes the adapter when they differ), since
    /// that comparison is what shows the bytes are the ones once checked.
    /// </param>
    internal static (LoadedAdapter Adapter, string ContentHash) ReadForHash(string name, string manifestPath, ExportedModel model, FileConfinement confinement,
        CancellationToken cancel, ExportedAdapterManifest? validated = null) =>
        Read(name, manifestPath, model, confinement, cancel, pooled: true,
            (adapter, _, manifestBytes, adapterBytes) => (adapter, ContentHash(manifestBytes, adapterBytes)), validated);

    /// <summary>SHA-256 over the manifest's length, the manifest, and the adapter file: lowercase hex (a validated copy's name in <see cref="ServedAdapterStore"/>).</summary>
    internal static string ContentHash(ReadOnlySpan<byte> manifest, ReadOnlySpan<byte> adapter)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(BitConverter.GetBytes((long)manifest.Length));
        sha.AppendData(manifest);
        sha.AppendData(adapter);
        return Convert.ToHexStringLower(sha.GetHashAndReset());
    }

    /// <param name="finish">Given the checked adapter, the manifest's file name and bytes, and the adapter file's bytes (valid only during the call when <paramref name="pooled"/>).</param>
    /// <param name="validated">See <see cref="ReadForHash"/>.</param>
    static T Read<T>(string name, string manifestPath, ExportedModel model, FileConfinement confinement, CancellationToken cancel, bool pooled,
        Func<LoadedAdapter, string, byte[], ArraySegment<byte>, T> finish, ExportedAdapterManifest? validated = null)
    {
        var adapterInterface = model.Manifest.Adapters;
        if (adapterInterface is null || adapterInterface.Mode == AdapterExportMode.Fused)
            throw new InvalidFileException(model.Folder, "this model was exported without adapter inputs (plain or fused); export it swappable or batched to serve adapters");
        string full = Path.GetFullPath(manifestPath);
        using var folder = UntrustedFolder.Open(Path.GetDirectoryName(full)!, confinement);
        string manifestName = Path.GetFileName(full);
        if (!folder.HasFile(manifestName)) throw new InvalidFileException(full, "adapter manifest not found");
        var manifestFile = folder.Read(manifestName, UntrustedFile.MaxJsonBytes, "a JSON manifest", cancel);
        var manifest = validated ?? ExportedAdapterManifest.Parse(full, manifestFile.Bytes);
        long maxBytes = validated is null ? CheckDeclared(full, manifest, model, adapterInterface) : MaxFileBytes(manifest);

        string filePath = folder.PathOf(manifest.File);
        if (!folder.HasFile(manifest.File)) throw new InvalidFileException(filePath, "adapter file not found");
        const string Limit = "the inputs its manifest declares";
        if (!pooled) return Check(new ArraySegment<byte>(folder.Read(manifest.File, maxBytes, Limit, cancel).Bytes));
        using var pooledFile = folder.ReadPooled(manifest.File, maxBytes, Limit, cancel);
        return Check(pooledFile.Bytes);

        T Check(ArraySegment<byte> adapterBytes)
        {
            var parameters = OnnxAdapterFile.ParseParameters(filePath, adapterBytes.AsMemory());
            foreach (var p in parameters)
            {
                if (!manifest.Inputs.TryGetValue(p.Name, out var declared) || !p.Dims.AsSpan().SequenceEqual(declared))
                    throw new InvalidFileException(filePath, $"parameter '{p.Name}' [{string.Join(", ", p.Dims)}] is not in the adapter manifest with that shape");
                AdapterFolder.EnsureFinite(filePath, p.Name, p.Values);
            }
            // Each parameter is declared and named once, so fewer parameters than declarations means one is missing.
            if (parameters.Count < manifest.Inputs.Count)
            {
                string missing = manifest.Inputs.Keys.First(n => !parameters.Any(p => p.Name == n));
                throw new InvalidFileException(filePath, $"parameter '{missing}' named by the manifest is missing");
            }
            var values = new AdapterValueBlock([.. parameters.Select(p => p.Dims)]);
            try
            {
                for (int i = 0; i < parameters.Count; i++) parameters[i].Values.CopyTo(values.Values(i));
                var adapter = new LoadedAdapter(name, Interlocked.Increment(ref _nextId), full, manifest, [.. parameters.Select(p => p.Name)], values);
                return finish(adapter, manifestName, manifestFile.Bytes, adapterBytes);
            }
            catch
            {
                values.Dispose();
                throw;
            }
        }
    }

    /// <summary>
    /// Checks the manifest against the model before any tensor is read: the base model; every
    /// declared input an adapter input of this model with an accepted shape, of the kind the method
    /// has (LoRA inputs for weight-delta methods, residual edits for ReFT), its rank-axis size a
    /// multiple of the manifest's rank that the input can hold; a batched export's slot rank.
    /// Returns the most bytes the .onnx_adapter file may have.
    /// </summary>
    static long CheckDeclared(string path, ExportedAdapterManifest manifest, ExportedModel model, ExportedAdapterInterface adapterInterface)
    {
        if (model.Manifest.Fingerprint is { } fingerprint && manifest.BaseModel != fingerprint)
            throw new InvalidFileException(path, $"adapter belongs to base model {manifest.BaseModel}, not to this model ({fingerprint})");
        bool reft = AdapterMethods.IsReft(manifest.Method);
        foreach (var (input, shape) in manifest.Inputs)
        {
            var spec = adapterInterface.Find(input)
                ?? throw new InvalidFileException(path, $"parameter '{input}' is not an adapter input of this model (its adapter inputs were fixed at export)");
            if (!spec.Accepts(shape, out int rank))
                throw new InvalidFileException(path, $"parameter '{input}' has shape [{string.Join(", ", shape)}], the model expects {spec}");
            if (AdapterInputNames.IsResidualEdit(input) != reft)
                throw new InvalidFileException(path, $"method '{manifest.Method}' does not fill input '{input}' ({(reft ? "ReFT edits the residual stream" : "a weight delta fills lora_A / lora_B")})");
            int members = rank / manifest.Rank;
            if (rank % manifest.Rank != 0 || members < 1 || members > spec.RankBlocks)
                throw new InvalidFileException(path, spec.RankBlocks == 1
                    ? $"rank {manifest.Rank} disagrees with input '{input}', whose rank axis has {rank}"
                    : $"rank {manifest.Rank} disagrees with input '{input}', whose rank axis has {rank} (1 to {spec.RankBlocks} packed projections of rank {manifest.Rank} expected)");
            if (adapterInterface.Mode == AdapterExportMode.Batched && rank > spec.RankCapacity(adapterInterface.MaxRank))
                throw new InvalidFileException(path, spec.RankBlocks == 1
                    ? $"parameter '{input}' has rank {rank}, larger than this batched export's slot rank {adapterInterface.MaxRank}"
                    : $"parameter '{input}' has rank {rank} over its {spec.RankBlocks} packed projections, more than this batched export's slot rank {adapterInterface.MaxRank} allows ({spec.RankCapacity(adapterInterface.MaxRank)})");
            int widest = shape.Where((_, i) => i != spec.RankAxis).DefaultIfEmpty(rank).Max();
            if (rank > spec.RankBlocks * (long)widest)
                throw new InvalidFileException(path, $"parameter '{input}' has rank {rank}, more than its shape [{string.Join(", ", shape)}] can use");
        }
        return MaxFileBytes(manifest);
    }

    /// <summary>The most bytes an .onnx_adapter file holding the manifest's inputs may have.</summary>
    static long MaxFileBytes(ExportedAdapterManifest manifest)
    {
        long bytes = OnnxAdapterOverheadBytes;
        foreach (var shape in manifest.Inputs.Values) bytes += OnnxAdapterBytesPerInput + 4 * shape.Aggregate(1L, (n, d) => n * d);
        return bytes;
    }

    /// <summary>FlatBuffer framing of an .onnx_adapter: the root table, and per parameter its table, name, dims and 8-byte alignment — generous.</summary>
    const long OnnxAdapterOverheadBytes = 64 << 10, OnnxAdapterBytesPerInput = 1 << 10;

    /// <summary>The same version (same id and values) under another registry name; it owns the values from now on, this one must not be used.</summary>
    internal LoadedAdapter Renamed(string name) => new(name, Id, ManifestPath, Manifest, [.. InputNames], _values);

    public override string ToString() => $"{Name} (#{Id}, {Manifest.Method}, rank {Manifest.Rank})";
}
