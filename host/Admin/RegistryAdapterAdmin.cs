using System.Text.Json;
using Adapters.Core.Exported;
using Adapters.Core.IO;
using Adapters.Export.AdapterExport;
using Adapters.Runtime.Backends;
using Adapters.Runtime.Serving;

namespace Adapters.Host.Admin;

/// <summary>
/// Runtime adapter loading over an <see cref="AdapterRegistry"/>. lora_path may be an exported
/// adapter manifest (*.adapter.json), a folder holding exactly one, or a training adapter folder
/// (ours or PEFT LoRA) or run folder, which is converted (<see cref="AdapterConverter"/>) into a
/// staging folder this admin owns. Every file is read through the adapter roots' confinement (on
/// the open handles: a link leaving the roots, or a path swapped for one midway, is refused), and
/// what was validated is kept in the registry's store, the only place evicted adapters come back
/// from. Loading a name that exists replaces it (requests in flight keep their version).
/// <para>
/// No lock is held while files are read: each load runs on its own, with a time limit
/// (<see cref="AdapterLoadOptions.Timeout"/>) and the caller's cancellation, and at most
/// <see cref="AdapterLoadOptions.MaxConcurrentLoads"/> run at once, so one slow or hostile load
/// never blocks other loads, unloads or requests. A load that gave up never commits later.
/// </para>
/// </summary>
public sealed class RegistryAdapterAdmin : IAdapterAdmin, IDisposable
{
    /// <summary>File stem of a converted adapter inside its own staging folder; the registry name is kept separately.</summary>
    const string ConvertedName = "adapter";

    /// <summary>The default staging folder's name starts with this, under the temporary folder.</summary>
    public const string TemporaryPrefix = "adapters-host-";

    readonly AdapterRegistry _registry;
    readonly string _baseModelName;
    readonly AdapterLoadOptions _options;
    readonly string _stagingRoot;
    readonly OwnedTempFolder? _ownedStaging; // null when the options name the folder: the user's, never deleted
    readonly FileConfinement _stagingConfinement;
    readonly SemaphoreSlim _slots;

    public RegistryAdapterAdmin(AdapterRegistry registry, string baseModelName, AdapterLoadOptions? options = null)
    {
        _registry = registry;
        _baseModelName = baseModelName;
        _options = (options ?? new AdapterLoadOptions()).Validate();
        _ownedStaging = _options.StagingFolder is null ? OwnedTempFolder.Create(TemporaryPrefix) : null;
        _stagingRoot = _ownedStaging?.FullName ?? Directory.CreateDirectory(_options.StagingFolder!).FullName;
        _stagingConfinement = new FileConfinement([_stagingRoot]);
        _slots = new SemaphoreSlim(_options.MaxConcurrentLoads, _options.MaxConcurrentLoads);
    }

    /// <summary>Where training adapters are converted: the options' folder, or this admin's own temporary one.</summary>
    internal string StagingRoot => _stagingRoot;

    public async Task<ModelInfo> LoadAsync(string name, string path, CancellationToken cancel)
    {
        // Disposed by this call when the work never started, else by the work itself when it ends —
        // which may be before this call waits on it, so the token is taken here, once: a token stays
        // usable after its source is disposed (registering on it is then a no-op), the source's Token does not.
        var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(_options.Timeout);
        var token = limit.Token;
        // The work's commit and this call's timeout answer exclude each other: whichever claims the
        // decision first wins, so a 504 ("nothing changed") is never the answer for a committed load.
        var decision = new LoadDecision();
        Task<ModelInfo>? work = null;
        try
        {
            if (!await _slots.WaitAsync(_options.Timeout, token))
                throw new AdapterAdminException(AdapterAdminError.Busy, $"cannot load adapter '{name}': {_options.MaxConcurrentLoads} adapter loads are already running; try again");
            // File work runs on the thread pool; waiting on it honours the limit even if a read blocks in the kernel.
            work = Task.Run(() =>
            {
                try { return Load(name, path, token, decision); }
                finally
                {
                    ReleaseSlot();
                    limit.Dispose();
                }
            }, CancellationToken.None);
            AfterWorkStarted?.Invoke(work);
            return await work.WaitAsync(token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested && !cancel.IsCancellationRequested)
        {
            // The work claimed the commit first: the load is happening, and its result is the answer.
            if (work is not null && !decision.Claim(LoadDecision.GaveUp)) return await work;
            throw new AdapterAdminException(AdapterAdminError.Timeout,
                $"cannot load adapter '{name}': reading it took longer than {_options.Timeout.TotalSeconds:0.#} s (a slow or blocking file?); nothing changed");
        }
        finally
        {
            if (work is null) limit.Dispose();
        }
    }

    /// <summary>Who decided a load's outcome first: its work, committing, or its caller, giving up at the time limit.</summary>
    sealed class LoadDecision
    {
        public const int Open = 0, Commit = 1, GaveUp = 2;
        int _state;

        /// <summary>True when this claim decided; false when the other side had already decided.</summary>
        public bool Claim(int outcome) => Interlocked.CompareExchange(ref _state, outcome, Open) == Open;
    }

    /// <summary>
    /// Tests only: runs right after a load's work was handed to the thread pool, before this call
    /// waits on it — where a busy machine can pause the caller while the work runs to its end.
    /// </summary>
    internal Action<Task>? AfterWorkStarted { get; init; }

    void ReleaseSlot()
    {
        try { _slots.Release(); }
        catch (ObjectDisposedException) { } // a load that outlived the server
    }

    public Task UnloadAsync(string name, CancellationToken cancel)
    {
        try { _registry.Unload(name); }
        catch (AdapterNotFoundException e) { throw new AdapterAdminException(AdapterAdminError.NotFound, e.Message); }
        return Task.CompletedTask;
    }

    /// <summary>
    /// Registers every exported adapter manifest (*.adapter.json) at the top of each root under its
    /// manifest name, so adapters dropped there are served from start; names already registered
    /// (exported with the model) win. Returns one line per adapter that could not be loaded.
    /// </summary>
    public IReadOnlyList<string> LoadExportedFromRoots(IEnumerable<string> roots)
    {
        var problems = new List<string>();
        if (_options.Roots is not { } confinement) return problems;
        foreach (string root in roots)
        {
            IReadOnlyList<string> manifests;
            try
            {
                using var folder = UntrustedFolder.Open(root, confinement);
                manifests = folder.FileNames(ExportedAdapterManifest.FileSuffix).Select(folder.PathOf).ToList();
            }
            catch (IOException e) { problems.Add(e.Message); continue; }
            foreach (string manifest in manifests)
            {
                try
                {
                    using var limit = new CancellationTokenSource(_options.Timeout);
                    if (_registry.LoadExported(manifest, confinement, limit.Token) is { } adapter && adapter.Name == _baseModelName)
                    {
                        _registry.Unload(adapter.Name);
                        problems.Add($"{manifest}: its name '{adapter.Name}' is the base model's");
                    }
                }
                catch (Exception e) when (IsAboutTheFiles(e) || e is OperationCanceledException) { problems.Add(e is OperationCanceledException ? $"{manifest}: reading it took too long" : e.Message); }
            }
        }
        return problems;
    }

    /// <summary>The adapter roots' confinement; with none configured, nothing can be read (the endpoint refuses first).</summary>
    FileConfinement Roots => _options.Roots ?? throw new AdapterAdminException(AdapterAdminError.OutsideRoots, "no adapter roots are configured on this server");

    ModelInfo Load(string name, string path, CancellationToken cancel, LoadDecision decision)
    {
        string? converted = null;
        try
        {
            var roots = Roots;
            var found = AdapterConverter.ManifestFor(_registry.Model, path, () => Path.Combine(_stagingRoot, Guid.NewGuid().ToString("N")),
                ConvertedName, roots, cancel);
            converted = found.ConvertedFolder;
            cancel.ThrowIfCancellationRequested();
            var adapter = _registry.LoadOrReplace(name, found.Manifest, converted is null ? roots : _stagingConfinement, cancel,
                mayCommit: () =>
                {
                    _options.BeforeCommit?.Invoke();
                    return decision.Claim(LoadDecision.Commit);
                });
            return new ModelInfo
            {
                Id = name,
                Kind = ModelKind.Adapter,
                Method = adapter.Manifest.Method,
                Rank = adapter.Manifest.Rank,
                Parent = _baseModelName,
            };
        }
        catch (Exception e) when (e is not OperationCanceledException and not AdapterAdminException)
        {
            throw e switch
            {
                AdapterCapacityException => new AdapterAdminException(AdapterAdminError.NoFreeSlot, e.Message),
                OutsideConfinementException => new AdapterAdminException(AdapterAdminError.OutsideRoots, $"cannot load adapter '{name}': {e.Message}"),
                // Anything else went wrong reading or checking the files the caller named
                // (format, truncation, NaN, shape, base model, size, type): their fault, and nothing changed.
                _ when IsAboutTheFiles(e) => new AdapterAdminException(AdapterAdminError.InvalidAdapter, $"cannot load adapter '{name}': {e.Message}"),
                _ => e,
            };
        }
        finally
        {
            // The registry keeps what it validated in its own store: the staged conversion can go.
            if (converted is not null) FolderDeletion.TryDelete(converted); // one it cannot delete goes with the staging root
        }
    }

    /// <summary>Failures that describe the caller's files or request, not a fault of the server.</summary>
    static bool IsAboutTheFiles(Exception e) =>
        e is IOException or ArgumentException or InvalidDataException or JsonException or FormatException or UnauthorizedAccessException;

    public void Dispose()
    {
        _ownedStaging?.Dispose();
        _slots.Dispose();
    }
}
