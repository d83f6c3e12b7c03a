using Adapters.Runtime.Backends;

namespace Adapters.Host.Admin;

/// <summary>
/// The admin for a backend that serves the base model only (<see cref="SessionPerRequestBackend"/>):
/// every load is refused with <see cref="AdapterAdminError.NotSupported"/> (HTTP 501); an export
/// with adapter inputs gets <see cref="RegistryAdapterAdmin"/> instead.
/// </summary>
public sealed class NoAdapterAdmin : IAdapterAdmin
{
    const string Reason = "this server's model was exported without adapter inputs; export it with --mode swappable or batched to load adapters at run time";

    public Task<ModelInfo> LoadAsync(string name, string path, CancellationToken cancel) =>
        throw new AdapterAdminException(AdapterAdminError.NotSupported, $"cannot load adapter '{name}': {Reason}");

    public Task UnloadAsync(string name, CancellationToken cancel) =>
        throw new AdapterAdminException(AdapterAdminError.NotSupported, $"cannot unload adapter '{name}': {Reason}");
}
