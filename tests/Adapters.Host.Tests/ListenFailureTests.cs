using System.Net;
using System.Net.Sockets;
using Adapters.TestSupport;

namespace Adapters.Host.Tests;

/// <summary>An address or port the server cannot listen on is one clear IOException naming it (the CLI prints it as one error line), not a crash.</summary>
public sealed class ListenFailureTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder("listen-token");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task Port_in_use_is_an_IOException_naming_address_and_port()
    {
        using var squatter = new TcpListener(IPAddress.Loopback, 0);
        squatter.Start();
        int port = ((IPEndPoint)squatter.LocalEndpoint).Port;
        await using var backend = new FakeBackend();
        var options = new HostServerOptions { BindAddress = IPAddress.Loopback, Port = port };
        var error = await Assert.ThrowsAsync<IOException>(() => HostServer.StartAsync(options, backend, new FakeAdapterAdmin(backend)));
        Assert.StartsWith($"cannot listen on 127.0.0.1:{port}:", error.Message);
    }

    [Fact]
    public async Task Ipv4_mapped_address_either_serves_or_fails_as_an_IOException()
    {
        await using var backend = new FakeBackend();
        var options = new HostServerOptions { BindAddress = IPAddress.Parse("::ffff:127.0.0.1"), Port = 0, AdminTokenFile = WriteToken() };
        try
        {
            await using var server = await HostServer.StartAsync(options, backend, new FakeAdapterAdmin(backend));
            using var client = HttpHelpers.NewClient(server.Url);
            Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);
        }
        catch (IOException e)
        {
            Assert.StartsWith("cannot listen on ::ffff:127.0.0.1:0:", e.Message);
        }
    }

    string WriteToken()
    {
        string path = Path.Combine(_dir, "token");
        File.WriteAllText(path, "listen-test-token\n");
        return path;
    }
}
