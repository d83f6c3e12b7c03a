using Adapters.Core.Exported;
using Adapters.Core.IO;

namespace Adapters.Runtime.Serving;

/// <summary>
/// A folder the server owns with the validated copy of every adapter its registry may evict: the
/// exact manifest and .onnx_adapter bytes <see cref="LoadedAdapter"/> checked, under a subfolder
/// named by their SHA-256 (so equal content is stored once). An evicted adapter is read back only
/// from here — confined to this folder, checked again, and its bytes compared with the hash — never
/// from the path it was loaded from, which may have been swapped, truncated or replaced by a pipe
/// since. Copies are counted per registration and removed when the last one goes. Thread-safe.
/// </summary>
public sealed class ServedAdapterStore : IDisposable
{
    /// <summary>The default folder's name starts with this (then random characters), under the temporary folder.</summary>
    public const string TemporaryPrefix = "adapters-store-";

    readonly Lock _lock = new();
    readonly Dictionary<string, int> _references = new(StringComparer.Ordinal);
    readonly OwnedTempFolder? _owned;
    FileConfinement? _confinement;

    /// <param name="folder">
    /// Where the copies go (created); default a new temporary folder, deleted on <see cref="Dispose"/>
    /// or at exit, or by a later store when this process was killed (<see cref="OwnedTempFolder"/>).
    /// </param>
    public ServedAdapterStore(string? folder = null)
    {
        _owned = folder is null ? OwnedTempFolder.Create(TemporaryPrefix) : null;
        Folder = _owned?.FullName ?? Directory.CreateDirectory(folder!).FullName;
    }

    public string Folder { get; }

    /// <summary>Copies held, one per distinct content.</summary>
    public int Count
    {
        get { lock (_lock) return _references.Count; }
    }

    FileConfinement Confinement => _confinement ??= new FileConfinement([Folder]);

    /// <summary>Stores the bytes <paramref name="adapter"/> was checked from (or counts one more use of an equal copy).</summary>
    internal StoredAdapter Put(ValidatedAdapter adapter)
    {
        string hash = LoadedAdapter.ContentHash(adapter.ManifestBytes, adapter.AdapterBytes);
        string folder = Path.Combine(Folder, hash);
        var stored = new StoredAdapter(hash, Path.Combine(folder, adapter.ManifestFileName), adapter.Adapter.Manifest);
        lock (_lock)
        {
            if (_references.TryGetValue(hash, out int count))
            {
                _references[hash] = count + 1;
                return stored;
            }
            AtomicFile.WriteDirectory(folder, tmp =>
            {
                File.WriteAllBytes(Path.Combine(tmp, adapter.ManifestFileName), adapter.ManifestBytes);
                File.WriteAllBytes(Path.Combine(tmp, adapter.Adapter.Manifest.File), adapter.AdapterBytes);
            });
            _references[hash] = 1;
        }
        return stored;
    }

    /// <summary>
    /// Reads a stored copy back for <paramref name="model"/>, refusing it when its bytes no longer
    /// match its hash. The adapter file goes through a pooled buffer: a reload keeps no copy of the
    /// bytes, so it allocates only the adapter's values.
    /// </summary>
    internal LoadedAdapter Reload(StoredAdapter stored, string name, ExportedModel model, CancellationToken cancel = default)
    {
        var (adapter, hash) = LoadedAdapter.ReadForHash(name, stored.ManifestPath, model, Confinement, cancel, stored.Manifest);
        if (hash != stored.Hash)
        {
            adapter.Dispose();
            throw new InvalidFileException(stored.ManifestPath, "the server's validated copy of this adapter changed on disk; load the adapter again");
        }
        return adapter;
    }

    /// <summary>One registration fewer; the copy is deleted with the last.</summary>
    internal void Release(StoredAdapter stored)
    {
        lock (_lock)
        {
            if (!_references.TryGetValue(stored.Hash, out int count)) return;
            if (count > 1)
            {
                _references[stored.Hash] = count - 1;
                return;
            }
            _references.Remove(stored.Hash);
            FolderDeletion.TryDelete(Path.Combine(Folder, stored.Hash));
        }
    }

    public void Dispose()
    {
        lock (_lock)
        {
            if (_owned is not null) _owned.Dispose();
            else foreach (string hash in _references.Keys) FolderDeletion.TryDelete(Path.Combine(Folder, hash));
            _references.Clear();
        }
    }
}
