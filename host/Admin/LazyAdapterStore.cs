using System.Collections.Concurrent;
using Adapters.Host.Api;
using Adapters.Host.Metrics;
using Adapters.Runtime.Serving;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Adapters.Host.Admin;

/// <summary>
/// The adapter roots as a shared store (LoRAX's lazy loading): a request for a model this server
/// does not have, whose name is a folder &lt;root&gt;/&lt;name&gt;/ holding an adapter, registers it
/// through the ordinary admin load before it runs, so replicas that share the roots need no admin
/// call and the router never moves files. The registry's LRU residency then bounds memory; later
/// misses are read back from disk when the request leases the adapter (off the scheduler's thread).
/// One load per name at a time: concurrent first requests wait for the same load.
/// Each answer says whether its adapter was in memory on arrival (<see cref="CacheHeader"/>).
/// </summary>
internal sealed class LazyAdapterStore(IAdapterAdmin admin, AdapterPathPolicy paths, AdapterRegistry registry, string baseModelName,
    HostMetrics metrics, ILogger log)
{
    /// <summary>Response header: "hit" (the adapter was in memory), "miss" (read from disk for this request), absent for the base model.</summary>
    public const string CacheHeader = "x-adapters-cache";

    /// <summary>The admin endpoint's limit on names.</summary>
    const int MaxNameLength = 128;

    readonly ConcurrentDictionary<string, Lazy<Task>> _loading = new(StringComparer.Ordinal);

    /// <summary>Registers <paramref name="model"/> from the store when it is not registered yet and the store has it; otherwise does nothing (an unknown name stays a 404 later).</summary>
    public async Task PrepareAsync(HttpContext http, string? model)
    {
        if (model is null || model == baseModelName) return;
        if (registry.Contains(model))
        {
            http.Response.Headers[CacheHeader] = registry.IsResident(model) ? "hit" : "miss";
            return;
        }
        if (FolderOf(model) is not { } folder) return;
        var load = _loading.GetOrAdd(model, name => new Lazy<Task>(() => LoadAsync(name, folder)));
        try { await load.Value.WaitAsync(http.RequestAborted); }
        finally
        {
            if (load.Value.IsCompleted) _loading.TryRemove(new KeyValuePair<string, Lazy<Task>>(model, load));
        }
        http.Response.Headers[CacheHeader] = "miss";
    }

    async Task LoadAsync(string name, string folder)
    {
        // Not tied to the first caller's connection: others may be waiting for the same load.
        try
        {
            await admin.LoadAsync(name, folder, CancellationToken.None);
            metrics.AdapterLoads.Inc();
            log.LogInformation("loaded adapter {Name} from the store ({Folder})", name, folder);
        }
        catch (AdapterAdminException e)
        {
            var (status, type) = e.Error == AdapterAdminError.NoFreeSlot
                ? (StatusCodes.Status503ServiceUnavailable, ErrorTypes.Unavailable)
                : (StatusCodes.Status400BadRequest, ErrorTypes.InvalidRequest);
            throw new ApiException(status, type, $"the adapter store's '{name}' cannot be served: {e.Message}", "model", "adapter_unloadable");
        }
    }

    /// <summary>The store folder for <paramref name="name"/>, confined to the roots (no separators, no "..", no link leading out); null when there is none.</summary>
    string? FolderOf(string name)
    {
        if (name.Length > MaxNameLength || name is "." or ".." || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0
            || name.Any(c => c == '\\' || char.IsControl(c) || char.IsWhiteSpace(c)))
            return null;
        foreach (string root in paths.Roots)
        {
            string candidate = Path.Combine(root, name);
            if (!Directory.Exists(candidate)) continue;
            try { return paths.Resolve(candidate); }
            catch (AdapterPathException) { } // e.g. a link out of the roots: not part of the store
        }
        return null;
    }
}
