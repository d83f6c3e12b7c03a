using Adapters.Runtime.Backends;

namespace Adapters.Host.Admin;

/// <summary>
/// Loads and unloads adapters at run time (vLLM's /v1/load_lora_adapter and
/// /v1/unload_lora_adapter). The host has already checked the admin token, the name and the path
/// as written; an implementation reads the files confined to the adapter roots (on the open
/// handles), checks the adapter itself (format, base model, rank, sizes) within its time limit,
/// and reports failures as <see cref="AdapterAdminException"/>. A lazy load by name goes through
/// <see cref="LoadAsync"/> with a path inside a root, like the endpoint.
/// </summary>
public interface IAdapterAdmin
{
    /// <summary>Loads the adapter folder at <paramref name="path"/> (a resolved path inside an adapter root) under <paramref name="name"/>.</summary>
    /// <exception cref="AdapterAdminException">The adapter is invalid, the name is taken, or no slot can be freed.</exception>
    Task<ModelInfo> LoadAsync(string name, string path, CancellationToken cancel);

    /// <summary>Unloads <paramref name="name"/>; requests already running with it finish first (or the call is refused as in use).</summary>
    /// <exception cref="AdapterAdminException">The name is not loaded, or it is in use and cannot be unloaded now.</exception>
    Task UnloadAsync(string name, CancellationToken cancel);
}
