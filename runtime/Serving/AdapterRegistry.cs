using Adapters.Core.Exported;

namespace Adapters.Runtime.Serving;

/// <summary>
/// The adapters one exported model serves, by name: load, replace and unload at any time, and
/// lease a version for a request (<see cref="Acquire"/>). Every change is checked first
/// (<see cref="LoadedAdapter.Read"/>) and applied only when it succeeds, so a bad file leaves the
/// registry as it was. Memory is bounded: when adapters pass <see cref="MaxBytes"/> or
/// <see cref="MaxResident"/> versions the least recently used adapters nobody holds are evicted
/// (their registration stays; the next <see cref="Acquire"/> reads them back). Thread-safe;
/// <see cref="Evicted"/> and <see cref="Reloaded"/> are raised outside the lock.
/// </summary>
public sealed class AdapterRegistry
{
    sealed class Entry(string path, LoadedAdapter resident)
    {
        public string Path = path;
        public LoadedAdapter? Resident = resident;
        public ExportedAdapterManifest Manifest = resident.Manifest;
        public DateTimeOffset LoadedAt = DateTimeOffset.UtcNow;
        public long LastUse;
    }

    readonly ExportedModel _model;
    readonly Lock _lock = new();
    readonly Dictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    readonly Dictionary<LoadedAdapter, int> _users = [];   // versions with leases, current or replaced
    long _clock;

    /// <param name="maxBytes">Adapter values in memory at most (resident versions plus replaced ones still leased).</param>
    /// <param name="maxResident">Adapter versions in memory at most, counted the same way.</param>
    public AdapterRegistry(ExportedModel model, long maxBytes = long.MaxValue, int maxResident = int.MaxValue)
    {
        if (maxBytes < 1) throw new ArgumentException($"the adapter memory limit must be positive, got {maxBytes}");
        if (maxResident < 1) throw new ArgumentException($"the resident adapter limit must be positive, got {maxResident}");
        _model = model;
        MaxBytes = maxBytes;
        MaxResident = maxResident;
    }

    public ExportedModel Model => _model;
    public long MaxBytes { get; }
    public int MaxResident { get; }

    /// <summary>An adapter version was dropped from memory to make room (its name stays registered).</summary>
    public event Action<LoadedAdapter>? Evicted;

    /// <summary>An evicted adapter was read back from disk for a request.</summary>
    public event Action<LoadedAdapter>? Reloaded;

    /// <summary>A registry holding every adapter exported with the model (model_manifest.json "adapters").</summary>
    public static AdapterRegistry WithExportedAdapters(ExportedModel model, long maxBytes = long.MaxValue, int maxResident = int.MaxValue)
    {
        var registry = new AdapterRegistry(model, maxBytes, maxResident);
        foreach (var (name, file) in model.Manifest.Adapters?.Adapters ?? new Dictionary<string, string>())
            registry.Load(name, Path.Combine(model.Folder, file));
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
                    .Select(kv => new RegisteredAdapter(kv.Key, kv.Value.Manifest, kv.Value.Path, kv.Value.LoadedAt, kv.Value.Resident is not null)).ToList();
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
    public LoadedAdapter Load(string name, string manifestPath)
    {
        var adapter = LoadedAdapter.Read(name, manifestPath, _model);
        List<LoadedAdapter> evicted;
        lock (_lock)
        {
            if (_entries.ContainsKey(name)) throw new InvalidOperationException($"an adapter named '{name}' is already loaded; replace it instead");
            evicted = MakeRoom(adapter.ByteCount, name);
            _entries[name] = new Entry(manifestPath, adapter) { LastUse = ++_clock };
        }
        RaiseEvicted(evicted);
        return adapter;
    }

    /// <summary>A new version under an existing name; requests holding the old version keep it until they finish.</summary>
    public LoadedAdapter Replace(string name, string manifestPath)
    {
        var adapter = LoadedAdapter.Read(name, manifestPath, _model);
        List<LoadedAdapter> evicted;
        lock (_lock)
        {
            var entry = EntryOf(name);
            evicted = MakeRoom(adapter.ByteCount, name);
            entry.Path = manifestPath;
            entry.Resident = adapter;
            entry.Manifest = adapter.Manifest;
            entry.LoadedAt = DateTimeOffset.UtcNow;
            entry.LastUse = ++_clock;
        }
        RaiseEvicted(evicted);
        return adapter;
    }

    /// <summary>Removes a name; requests holding it finish with their version.</summary>
    public void Unload(string name)
    {
        lock (_lock)
        {
            EntryOf(name);
            _entries.Remove(name);
        }
    }

    /// <summary>Leases the current version of <paramref name="name"/> (read back from disk when it was evicted).</summary>
    public AdapterLease Acquire(string name)
    {
        string path;
        lock (_lock)
        {
            var entry = EntryOf(name);
            if (entry.Resident is { } resident) return LeaseLocked(entry, resident);
            path = entry.Path;
        }
        // Read outside the lock; a concurrent change of the name wins over this reload.
        var reloaded = LoadedAdapter.Read(name, path, _model);
        List<LoadedAdapter> evicted = [];
        AdapterLease lease;
        bool installed = false;
        lock (_lock)
        {
            var entry = EntryOf(name);
            if (entry.Resident is null && entry.Path == path)
            {
                evicted = MakeRoom(reloaded.ByteCount, name);
                entry.Resident = reloaded;
                installed = true;
            }
            lease = LeaseLocked(entry, entry.Resident ?? reloaded);
        }
        RaiseEvicted(evicted);
        if (installed) Reloaded?.Invoke(reloaded);
        return lease;
    }

    void RaiseEvicted(List<LoadedAdapter> evicted)
    {
        foreach (var adapter in evicted) Evicted?.Invoke(adapter);
    }

    AdapterLease LeaseLocked(Entry entry, LoadedAdapter adapter)
    {
        entry.LastUse = ++_clock;
        _users[adapter] = _users.GetValueOrDefault(adapter) + 1;
        return new AdapterLease(adapter, Release);
    }

    void Release(LoadedAdapter adapter)
    {
        lock (_lock)
        {
            int users = _users[adapter] - 1;
            if (users == 0) _users.Remove(adapter);
            else _users[adapter] = users;
        }
    }

    Entry EntryOf(string name) =>
        _entries.TryGetValue(name, out var entry) ? entry : throw new AdapterNotFoundException(name, _entries.Keys.Order());

    HashSet<LoadedAdapter> InMemoryLocked()
    {
        var counted = new HashSet<LoadedAdapter>(_entries.Values.Where(e => e.Resident is not null).Select(e => e.Resident!));
        counted.UnionWith(_users.Keys);
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
        if (_entries.TryGetValue(incoming, out var replaced) && replaced.Resident is { } old && !_users.ContainsKey(old))
        {
            current -= old.ByteCount; // the version being replaced leaves memory with this change
            count--;
        }
        var candidates = _entries
            .Where(kv => kv.Key != incoming && kv.Value.Resident is { } r && !_users.ContainsKey(r))
            .OrderBy(kv => kv.Value.LastUse).ToList();
        long freeable = candidates.Sum(kv => kv.Value.Resident!.ByteCount);
        if (current + bytes - freeable > MaxBytes)
            throw new AdapterCapacityException(
                $"adapter '{incoming}' needs {bytes:N0} bytes, but only {MaxBytes - (current - freeable):N0} of the {MaxBytes:N0}-byte limit can be freed (the rest is held by requests in flight)");
        if (count + 1 - candidates.Count > MaxResident)
            throw new AdapterCapacityException(
                $"adapter '{incoming}' needs a place, but all {MaxResident} resident adapters are held by requests in flight");
        var evicted = new List<LoadedAdapter>();
        foreach (var (_, entry) in candidates)
        {
            if (current + bytes <= MaxBytes && count + 1 <= MaxResident) break;
            current -= entry.Resident!.ByteCount;
            count--;
            evicted.Add(entry.Resident);
            entry.Resident = null;
        }
        return evicted;
    }
}
