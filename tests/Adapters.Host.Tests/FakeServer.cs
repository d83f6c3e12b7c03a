using Adapters.TestSupport;

namespace Adapters.Host.Tests;

/// <summary>A real <see cref="HostServer"/> on a loopback port over a <see cref="FakeBackend"/>, with an adapter root and no admin token.</summary>
public sealed class FakeServer : IAsyncDisposable
{
    FakeServer(FakeBackend backend, FakeAdapterAdmin admin, HostServer server, string root)
    {
        Backend = backend;
        Admin = admin;
        Server = server;
        Root = root;
        Client = HttpHelpers.NewClient(server.Url);
    }

    public FakeBackend Backend { get; }
    public FakeAdapterAdmin Admin { get; }
    public HostServer Server { get; }
    public HttpClient Client { get; }
    public string Root { get; }

    public static async Task<FakeServer> StartAsync(FakeBackend backend, Func<HostServerOptions, HostServerOptions>? configure = null)
    {
        string root = SharedModels.NewTempFolder("host-fake");
        var options = new HostServerOptions { AdapterRoots = [root], ShutdownTimeout = TimeSpan.FromSeconds(10) };
        var admin = new FakeAdapterAdmin(backend);
        var server = await HostServer.StartAsync(configure?.Invoke(options) ?? options, backend, admin);
        return new FakeServer(backend, admin, server, root);
    }

    public string Body(int maxTokens = 5, bool stream = false) => HttpHelpers.CompletionBody(FakeBackend.Name, "Hi", maxTokens, stream: stream);

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        await Backend.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
    }
}
