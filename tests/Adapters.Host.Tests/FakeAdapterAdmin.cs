using Adapters.Host.Admin;
using Adapters.Runtime.Backends;

namespace Adapters.Host.Tests;

/// <summary>An admin that "loads" an adapter by listing it in the fake backend, recording the path the host handed over.</summary>
public sealed class FakeAdapterAdmin(FakeBackend backend) : IAdapterAdmin
{
    public List<string> LoadedPaths { get; } = [];

    public Task<ModelInfo> LoadAsync(string name, string path, CancellationToken cancel)
    {
        if (backend.Models.Any(m => m.Id == name)) throw new AdapterAdminException(AdapterAdminError.Conflict, $"adapter '{name}' is already loaded");
        var model = new ModelInfo { Id = name, Kind = ModelKind.Adapter, Method = "lora", Rank = 8, Parent = FakeBackend.Name };
        backend.AddModel(model);
        lock (LoadedPaths) LoadedPaths.Add(path);
        return Task.FromResult(model);
    }

    public Task UnloadAsync(string name, CancellationToken cancel) =>
        throw new AdapterAdminException(AdapterAdminError.NotFound, $"adapter '{name}' is not loaded");
}
