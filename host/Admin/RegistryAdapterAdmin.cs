using Adapters.Core.Adapters;
using Adapters.Core.Exported;
using Adapters.Export.AdapterExport;
using Adapters.Runtime.Backends;
using Adapters.Runtime.Serving;

namespace Adapters.Host.Admin;

/// <summary>
/// Runtime adapter loading over an <see cref="AdapterRegistry"/>. lora_path may be an exported
/// adapter manifest (*.adapter.json), a folder holding exactly one, or a training adapter folder
/// (ours or PEFT LoRA) or run folder, which is converted (<see cref="AdapterConverter"/>) into a cache
/// folder this admin owns: the registry reads evicted adapters back from there. Loading a name
/// that exists replaces it (requests in flight keep their version). Admin calls run one at a
/// time, so load-or-replace is atomic; a failed call leaves the registry as it was.
/// </summary>
public sealed class RegistryAdapterAdmin : IAdapterAdmin, IDisposable
{
    /// <summary>File stem of a converted adapter inside its own cache folder; the registry name is kept separately.</summary>
    const string ConvertedName = "adapter";

    readonly AdapterRegistry _registry;
    readonly string _baseModelName;
    readonly string _cacheRoot;
    readonly SemaphoreSlim _gate = new(1, 1);
    readonly Dictionary<string, string> _converted = new(StringComparer.Ordinal); // name → cache folder of its current version

    /// <param name="cacheRoot">Where converted adapters go (created; deleted on dispose); default a new temporary folder.</param>
    public RegistryAdapterAdmin(AdapterRegistry registry, string baseModelName, string? cacheRoot = null)
    {
        _registry = registry;
        _baseModelName = baseModelName;
        _cacheRoot = cacheRoot is null ? Directory.CreateTempSubdirectory("adapters-host-").FullName : Directory.CreateDirectory(cacheRoot).FullName;
    }

    public async Task<ModelInfo> LoadAsync(string name, string path, CancellationToken cancel)
    {
        await _gate.WaitAsync(cancel);
        // Reading, checking and converting is file work: keep it off the request thread.
        try { return await Task.Run(() => Load(name, path), CancellationToken.None); }
        finally { _gate.Release(); }
    }

    public async Task UnloadAsync(string name, CancellationToken cancel)
    {
        await _gate.WaitAsync(cancel);
        try
        {
            try { _registry.Unload(name); }
            catch (AdapterNotFoundException e) { throw new AdapterAdminException(AdapterAdminError.NotFound, e.Message); }
            ForgetConverted(name);
        }
        finally { _gate.Release(); }
    }

    /// <summary>
    /// Registers every exported adapter manifest (*.adapter.json) at the top of each root under its
    /// manifest name, so adapters dropped there are served from start; names already registered
    /// (exported with the model) win. Returns one line per adapter that could not be loaded.
    /// </summary>
    public IReadOnlyList<string> LoadExportedFromRoots(IEnumerable<string> roots)
    {
        var problems = new List<string>();
        foreach (string root in roots)
            foreach (string manifest in Directory.EnumerateFiles(root, "*" + ExportedAdapterManifest.FileSuffix).Order(StringComparer.Ordinal))
            {
                try
                {
                    string name = ExportedAdapterManifest.Read(manifest).Name;
                    if (!_registry.Contains(name) && name != _baseModelName) _registry.Load(name, manifest);
                }
                catch (Exception e) when (e is not OutOfMemoryException) { problems.Add($"{manifest}: {e.Message}"); }
            }
        return problems;
    }

    ModelInfo Load(string name, string path)
    {
        string? converted = null;
        try
        {
            string manifest = ManifestFor(path, out converted);
            var adapter = _registry.Contains(name) ? _registry.Replace(name, manifest) : _registry.Load(name, manifest);
            ForgetConverted(name);
            if (converted is not null) _converted[name] = converted;
            return new ModelInfo
            {
                Id = name,
                Kind = ModelKind.Adapter,
                Method = adapter.Manifest.Method,
                Rank = adapter.Manifest.Rank,
                Parent = _baseModelName,
            };
        }
        catch (Exception e)
        {
            if (converted is not null) TryDelete(converted);
            throw e switch
            {
                AdapterAdminException => e,
                AdapterCapacityException => new AdapterAdminException(AdapterAdminError.NoFreeSlot, e.Message),
                // Anything else went wrong reading or checking the files the caller named
                // (format, truncation, NaN, shape, base model): their fault, and nothing changed.
                _ => new AdapterAdminException(AdapterAdminError.InvalidAdapter, $"cannot load adapter '{name}': {e.Message}"),
            };
        }
    }

    /// <summary>The exported manifest <paramref name="path"/> names, holds, or converts to (then <paramref name="converted"/> is its new cache folder).</summary>
    string ManifestFor(string path, out string? converted)
    {
        var found = AdapterConverter.ManifestFor(_registry.Model, path, () => Path.Combine(_cacheRoot, Guid.NewGuid().ToString("N")), ConvertedName);
        converted = found.ConvertedFolder;
        return found.Manifest;
    }

    void ForgetConverted(string name)
    {
        if (_converted.Remove(name, out string? folder)) TryDelete(folder);
    }

    static void TryDelete(string folder)
    {
        try { Directory.Delete(folder, recursive: true); }
        catch (IOException) { } // a leftover cache folder is removed with the cache root
        catch (UnauthorizedAccessException) { }
    }

    public void Dispose()
    {
        TryDelete(_cacheRoot);
        _gate.Dispose();
    }
}
