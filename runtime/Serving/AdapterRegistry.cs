using Adapters.Core.Adapters;
using Adapters.Core.Exported;
using Adapters.Core.IO;

namespace Adapters.Runtime.Serving;

/// <summary>
/// The adapters one exported model serves, by name: load, replace and unload at any time, and
/// lease a version for a request (<see cref="Acquire"/>). Every change is read and checked first
/// (<see cref="LoadedAdapter"/>; outside the lock, cancellable, confined to the caller's
/// <see cref="FileConfinement"/>) and applied only when it succeeds, so a bad file leaves the
/// registry as it was. Names follow <see cref="AdapterNames"/>. Memory is bounded: when adapters
/// pass <see cref="MaxBytes"/> or <see cref="MaxResident"/> versions the least recently used
/// adapters nobody holds are evicted (their registration stays; the next <see cref="Acquire"/>
/// reads them back — from the validated copy in <see cref="Store"/>, never from the path they were
/// loaded from). Thread-safe; <see cref="Evicted"/> and <see cref="Reloaded"/> are raised outside the lock.
/// <para>
/// Loading by name on demand (a router, lazy loading) goes through the same calls: resolve the
/// name to a manifest path inside the adapter roots, then <see cref="LoadOrReplace"/> with the
/// roots' confinement and a cancellation token; concurrent loads of one name are safe (the last
/// to finish wins) and never block requests or other loads.
/// </para>
/// </summary>
public sealed class AdapterRegistry : IDisposable
{
    sealed class Entry(string name, string source, StoredAdapter? stored, LoadedAdapter resident)
    {
        public readonly string Name = name;
        /// <summary>Where the current version was loaded from (for listings; never read again).</summary>
        public string Source = source;
        /// <summary>The validated copy evictions reload from; null when this registry never evicts.</summary>
        public StoredAdapter? Stored = stored;
        public LoadedAdapter? Resident = resident;
        public ExportedAdapterManifest Manifest = resident.Manifest;
        public DateTimeOffset LoadedAt = DateTimeOffset.UtcNow;
        public long LastUse;
    }

    readonly ExportedModel _model;
    readonly Lock _lock = new();
    readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    // Versions that may hold leases, current or replaced (each counts its own, LoadedAdapter.Leases):
    // added when leased, dropped under the lock once their count is 0.
    readonly HashSet<LoadedAdapter> _leased = [];
    // The entries whose current version is in memory (Resident not null): what eviction looks at, so a
    // miss costs the same with 16 adapters registered as with thousands (it runs under the lock).
    readonly HashSet<Entry> _resident = [];
    readonly ServedAdapterStore? _store;
    readonly bool _ownsStore;
    long _clock;

    /// <param name="maxBytes">Adapter values in memory at most (resident versions plus replaced ones still leased).</param>
    /// <param name="maxResident">Adapter versions in memory at most, counted the same way.</param>
    /// <param name="store">
    /// Where validated copies go when adapters may be evicted (a limit is set); default a temporary
    /// store this registry owns and deletes on <see cref="Dispose"/>. A registry without limits never
    /// evicts, so it keeps no copies.
    /// </param>
    public AdapterRegistry(ExportedModel model, long maxBytes = long.MaxValue, int maxResident = int.MaxValue, ServedAdapterStore? store = null)
    {
        if (maxBytes < 1) throw new ArgumentException($"the adapter memory limit must be positive, got {maxBytes}");
        if (maxResident < 1) throw new ArgumentException($"the resident adapter limit must be positive, got {maxResident}");
        _model = model;
        MaxBytes = maxBytes;
        MaxResident = maxResident;
        bool evicts = maxBytes != long.MaxValue || maxResident != int.MaxValue;
        _ownsStore = evicts && store is null;
        _store = evicts ? store ?? new ServedAdapterStore() : store;
    }

    public ExportedModel Model => _model;
    public long MaxBytes { get; }
    public int MaxResident { get; }

    /// <summary>The validated copies evicted adapters come back from; null when this registry never evicts.</summary>
    public ServedAdapterStore? Store => _store;

    /// <summary>An adapter version was dropped from memory to make room (its name stays registered). Its values are freed: read its name and manifest only.</summary>
    public event Action<LoadedAdapter>? Evicted;

    /// <summary>An evicted adapter was read back from disk for a request (it may be evicted again by now: read its name and manifest only).</summary>
    public event Action<LoadedAdapter>? Reloaded;

    /// <summary>A registry holding every adapter exported with the model (model_manifest.json "adapters").</summary>
    public static AdapterRegistry WithExportedAdapters(ExportedModel model, long maxBytes = long.MaxValue, int maxResident = int.MaxValue)
    {
        var registry = new AdapterRegistry(model, maxBytes, maxResident);
        try
        {
            // The model folder is the operator's; its files are still opened once, as regular files, inside it.
            var confinement = new FileConfinement([model.Folder]);
            foreach (var (name, file) in model.Manifest.Adapters?.Adapters ?? new Dictionary<string, string>())
                registry.Load(name, Path.Combine(model.Folder, file), confinement);
        }
        catch
        {
            registry.Dispose();
            throw;
        }
        return registry;
    }

    public IReadOnlyList<string> Names
    {
        get { lock (_lock) return _entries.Keys.Order().ToList(); }
    }

    public bool Contains(string name)
    {
        lock (_lock) return _entries.ContainsKey(name);
    }

    /// <summary>Every registered name with its current version's manifest, ordered by name. A snapshot.</summary>
    public IReadOnlyList<RegisteredAdapter> Registered
    {
        get
        {
            lock (_lock)
                return _entries.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                    .Select(kv => new RegisteredAdapter(kv.Key, kv.Value.Manifest, kv.Value.Source, kv.Value.LoadedAt, kv.Value.Resident is not null)).ToList();
        }
    }

    /// <summary>Bytes of adapter values in memory: resident versions plus replaced ones still leased.</summary>
    public long ResidentBytes
    {
        get { lock (_lock) return ResidentBytesLocked(); }
    }

    /// <summary>True when the adapter's current version is in memory (not evicted).</summary>
    public bool IsResident(string name)
    {
        lock (_lock) return _entries.TryGetValue(name, out var e) && e.Resident is not null;
    }

    /// <summary>Registers a new name; refuses a name in use (use <see cref="Replace"/>).</summary>
    /// <param name="confinement">Where the files may lie (checked on the open handles); default anywhere (files the caller named itself).</param>
    /// <exception cref="ArgumentException">The name breaks <see cref="AdapterNames"/>.</exception>
    /// <exception cref="InvalidFileException">The files are unusable (<see cref="OutsideConfinementException"/>: outside the roots).</exception>
    public LoadedAdapter Load(string name, string manifestPath, FileConfinement? confinement = null, CancellationToken cancel = default) =>
        Commit(name, manifestPath, confinement, cancel, Change.Add);

    /// <summary>A new version under an existing name; requests holding the old version keep it until they finish.</summary>
    public LoadedAdapter Replace(string name, string manifestPath, FileConfinement? confinement = null, CancellationToken cancel = default) =>
        Commit(name, manifestPath, confinement, cancel, Change.Replace);

    /// <summary>Registers <paramref name="name"/> or replaces its version, atomically (what the host's load endpoint does).</summary>
    public LoadedAdapter LoadOrReplace(string name, string manifestPath, FileConfinement? confinement = null, CancellationToken cancel = default) =>
        Commit(name, manifestPath, confinement, cancel, Change.AddOrReplace);

    /// <summary>
    /// <see cref="LoadOrReplace(string, string, FileConfinement?, CancellationToken)"/> for a caller that
    /// may give up: once the files are read and checked, <paramref name="mayCommit"/> is asked once,
    /// right before anything changes; false (the caller gave up first) cancels the load, and nothing changes.
    /// </summary>
    public LoadedAdapter LoadOrReplace(string name, string manifestPath, FileConfinement? confinement, CancellationToken cancel, Func<bool> mayCommit) =>
        Commit(name, manifestPath, confinement, cancel, Change.AddOrReplace, mayCommit);

    /// <summary>
    /// Registers an exported manifest under the name it records, unless that name is taken (then
    /// returns null and changes nothing) — how adapters dropped into a root are served from start.
    /// </summary>
    public LoadedAdapter? LoadExported(string manifestPath, FileConfinement? confinement = null, CancellationToken cancel = default)
    {
        var read = LoadedAdapter.Read("", manifestPath, _model, confinement ?? FileConfinement.Anywhere, cancel);
        string name = read.Adapter.Manifest.Name;
        if (!AdapterNames.IsValid(name))
            throw new InvalidFileException(manifestPath, $"its name must be {AdapterNames.Rule}");
        lock (_lock)
            if (_entries.ContainsKey(name))
            {
                read.Adapter.Dispose();
                return null;
            }
        return Install(name, read with { Adapter = read.Adapter.Renamed(name) }, Change.Add);
    }

    enum Change { Add, Replace, AddOrReplace }

    LoadedAdapter Commit(string name, string manifestPath, FileConfinement? confinement, CancellationToken cancel, Change change, Func<bool>? mayCommit = null)
    {
        AdapterNames.Require(name);
        // Read and check outside the lock: a slow or hostile file never holds up requests or other loads.
        var read = LoadedAdapter.Read(name, manifestPath, _model, confinement ?? FileConfinement.Anywhere, cancel);
        try
        {
            cancel.ThrowIfCancellationRequested();
            if (mayCommit is not null && !mayCommit()) throw new OperationCanceledException(cancel);
        }
        catch
        {
            read.Adapter.Dispose();
            throw;
        }
        return Install(name, read, change);
    }

    /// <summary>Registers <paramref name="read"/>'s adapter, which this registry owns from now on (disposed here if it cannot be installed).</summary>
    LoadedAdapter Install(string name, ValidatedAdapter read, Change change)
    {
        var adapter = read.Adapter;
        StoredAdapter? stored = null;
        List<LoadedAdapter> evicted;
        StoredAdapter? previous = null;
        LoadedAdapter? replaced = null;
        try
        {
            stored = _store?.Put(read);
            lock (_lock)
            {
                bool exists = _entries.TryGetValue(name, out var entry);
                if (exists && change == Change.Add) throw new InvalidOperationException($"an adapter named '{name}' is already loaded; replace it instead");
                if (!exists && change == Change.Replace) EntryOf(name);
                evicted = MakeRoom(adapter.ByteCount, name);
                if (entry is null) _resident.Add(_entries[name] = new Entry(name, adapter.ManifestPath, stored, adapter) { LastUse = ++_clock });
                else
                {
                    previous = entry.Stored;
                    replaced = entry.Resident;
                    entry.Source = adapter.ManifestPath;
                    entry.Stored = stored;
                    entry.Resident = adapter;
                    _resident.Add(entry);
                    entry.Manifest = adapter.Manifest;
                    entry.LoadedAt = DateTimeOffset.UtcNow;
                    entry.LastUse = ++_clock;
                }
            }
        }
        catch
        {
            adapter.Dispose();
            if (stored is not null) _store!.Release(stored);
            throw;
        }
        replaced?.Dispose(); // requests that hold it keep its values until they finish
        if (previous is not null) _store!.Release(previous);
        RaiseEvicted(evicted);
        return adapter;
    }

    /// <summary>Removes a name; requests holding it finish with their version.</summary>
    public void Unload(string name)
    {
        StoredAdapter? stored;
        lock (_lock)
        {
            var entry = EntryOf(name);
            stored = entry.Stored;
            _entries.Remove(name);
            _resident.Remove(entry);
            entry.Resident?.Dispose(); // requests that hold it keep its values until they finish
        }
        if (stored is not null) _store!.Release(stored);
    }

    /// <summary>Leases the current version of <paramref name="name"/> (read back from the validated copy when it was evicted, on this thread).</summary>
    public AdapterLease Acquire(string name) =>
        TryLeaseResident(name, out var stored) ?? InstallReloaded(name, stored!, _store!.Reload(stored!, name, _model));

    /// <summary>
    /// <see cref="Acquire"/> for a server's request threads: a resident version is leased at once;
    /// an evicted one is read back on <see cref="AdapterReloadThread"/> while the caller's thread is
    /// free. A reload blocked a thread-pool thread for its whole read, and on a small machine a few
    /// concurrent misses held every pool thread, so other requests (the base model's too) waited
    /// for them. An unknown name fails at once (<see cref="AdapterNotFoundException"/>).
    /// </summary>
    public ValueTask<AdapterLease> AcquireAsync(string name, CancellationToken cancel = default)
    {
        if (TryLeaseResident(name, out var stored) is { } lease) return ValueTask.FromResult(lease);
        return new ValueTask<AdapterLease>(ReloadAsync(name, stored!, cancel));
    }

    async Task<AdapterLease> ReloadAsync(string name, StoredAdapter stored, CancellationToken cancel)
    {
        var reloaded = await AdapterReloadThread.RunAsync(() => _store!.Reload(stored, name, _model, cancel)).ConfigureAwait(false);
        return InstallReloaded(name, stored, reloaded);
    }

    /// <summary>A lease of the resident version; null when it was evicted, with the copy to read it back from.</summary>
    AdapterLease? TryLeaseResident(string name, out StoredAdapter? stored)
    {
        lock (_lock)
        {
            var entry = EntryOf(name);
            stored = null;
            if (entry.Resident is { } resident) return LeaseLocked(entry, resident);
            stored = entry.Stored ?? throw new InvalidOperationException($"adapter '{name}' was evicted without a stored copy");
            return null;
        }
    }

    /// <summary>Makes a version read back from <paramref name="stored"/> resident and leases it; a concurrent change of the name wins over it.</summary>
    AdapterLease InstallReloaded(string name, StoredAdapter stored, LoadedAdapter reloaded)
    {
        List<LoadedAdapter> evicted = [];
        AdapterLease lease;
        bool installed = false;
        try
        {
            lock (_lock)
            {
                var entry = EntryOf(name);
                if (entry.Resident is null && entry.Stored == stored)
                {
                    evicted = MakeRoom(reloaded.ByteCount, name);
                    entry.Resident = reloaded;
                    _resident.Add(entry);
                    installed = true;
                }
                lease = LeaseLocked(entry, entry.Resident ?? reloaded);
            }
        }
        finally
        {
            // Not installed (the name changed meanwhile, or no room): this copy lives only as long as its lease, if it has one.
            if (!installed) reloaded.Dispose();
        }
        RaiseEvicted(evicted);
        if (installed) Reloaded?.Invoke(reloaded);
        return lease;
    }

    /// <summary>Deletes the validated copies when this registry owns its store.</summary>
    public void Dispose()
    {
        lock (_lock)
        {
            // Leased versions keep their values until their leases end.
            foreach (var entry in _resident) entry.Resident!.Dispose();
            _resident.Clear();
        }
        if (_ownsStore) _store!.Dispose();
    }

    void RaiseEvicted(List<LoadedAdapter> evicted)
    {
        foreach (var adapter in evicted) Evicted?.Invoke(adapter);
    }

    AdapterLease LeaseLocked(Entry entry, LoadedAdapter adapter)
    {
        entry.LastUse = ++_clock;
        adapter.Lease();
        _leased.Add(adapter);
        return new AdapterLease(adapter, Release);
    }

    /// <summary>
    /// Without the lock: the scheduler thread ends requests, and waiting here for a request thread
    /// that holds the lock (preempted on a busy machine) stalled every row of the batch — up to
    /// 10 ms per wait in bench-serve's store scenario. Only a lease taken under the lock raises the
    /// count, so an eviction that reads 0 under the lock is safe, and one that reads a count this
    /// call is about to lower only keeps the adapter a little longer.
    /// </summary>
    static void Release(LoadedAdapter adapter) => adapter.Unlease();

    static bool InUse(LoadedAdapter adapter) => Volatile.Read(ref adapter.Leases) > 0;

    Entry EntryOf(string name) =>
        _entries.TryGetValue(name, out var entry) ? entry : throw new AdapterNotFoundException(name, _entries.Keys.Order());

    HashSet<LoadedAdapter> InMemoryLocked()
    {
        _leased.RemoveWhere(adapter => !InUse(adapter));
        var counted = new HashSet<LoadedAdapter>(_resident.Select(e => e.Resident!));
        counted.UnionWith(_leased);
        return counted;
    }

    long ResidentBytesLocked() => InMemoryLocked().Sum(a => a.ByteCount);

    /// <summary>
    /// Evicts unused adapters, least recently used first, until <paramref name="bytes"/> more (and
    /// one more version) fit; throws <see cref="AdapterCapacityException"/> (changing nothing) when
    /// they cannot. Returns the evicted versions, for <see cref="Evicted"/> once the lock is left.
    /// </summary>
    List<LoadedAdapter> MakeRoom(long bytes, string incoming)
    {
        var inMemory = InMemoryLocked();
        long current = inMemory.Sum(a => a.ByteCount);
        int count = inMemory.Count;
        if (_entries.TryGetValue(incoming, out var replaced) && replaced.Resident is { } old && !InUse(old))
        {
            current -= old.ByteCount; // the version being replaced leaves memory with this change
            count--;
        }
        var candidates = _resident
            .Where(e => e.Name != incoming && !InUse(e.Resident!))
            .OrderBy(e => e.LastUse).ToList();
        long freeable = candidates.Sum(e => e.Resident!.ByteCount);
        if (current + bytes - freeable > MaxBytes)
            throw new AdapterCapacityException(
                $"adapter '{incoming}' needs {bytes:N0} bytes, but only {MaxBytes - (current - freeable):N0} of the {MaxBytes:N0}-byte limit can be freed (the rest is held by requests in flight)");
        if (count + 1 - candidates.Count > MaxResident)
            throw new AdapterCapacityException(
                $"adapter '{incoming}' needs a place, but all {MaxResident} resident adapters are held by requests in flight");
        var evicted = new List<LoadedAdapter>();
        foreach (var entry in candidates)
        {
            if (current + bytes <= MaxBytes && count + 1 <= MaxResident) break;
            current -= entry.Resident!.ByteCount;
            count--;
            evicted.Add(entry.Resident);
            entry.Resident.Dispose(); // not leased: its values are freed now
            entry.Resident = null;
            _resident.Remove(entry);
        }
        return evicted;
    }
}
