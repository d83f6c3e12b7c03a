using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using Adapters.Router.Routing;

namespace Adapters.Router.Tests;

/// <summary>A router over fake replicas, started per test (each test sets its own replica behaviour).</summary>
public sealed class RouterFixture : IAsyncDisposable
{
    public const string Token = "router-test-token";

    public required RouterServer Router { get; init; }
    public required IReadOnlyList<FakeReplica> Replicas { get; init; }
    public required HttpClient Client { get; init; }
    public required string Folder { get; init; }

    public static async Task<RouterFixture> StartAsync(int replicas, RoutingPolicy policy = RoutingPolicy.Affinity, IEnumerable<Uri>? extra = null,
        bool token = true, double healthSeconds = 0.3)
    {
        var fakes = new List<FakeReplica>();
        for (int i = 0; i < replicas; i++) fakes.Add(await FakeReplica.StartAsync());
        string folder = Directory.CreateTempSubdirectory("router-tests-").FullName;
        string tokenFile = Path.Combine(folder, "token");
        File.WriteAllText(tokenFile, Token + "\n");
        var router = await RouterServer.StartAsync(new RouterOptions
        {
            Replicas = [.. fakes.Select(f => f.Url), .. extra ?? []],
            AdminTokenFile = token ? tokenFile : null,
            Policy = policy,
            HealthInterval = TimeSpan.FromSeconds(healthSeconds),
            HealthTimeout = TimeSpan.FromSeconds(2),
        });
        return new RouterFixture
        {
            Router = router,
            Replicas = fakes,
            Client = new HttpClient { BaseAddress = router.Url, Timeout = TimeSpan.FromSeconds(30) },
            Folder = folder,
        };
    }

    public Task<HttpResponseMessage> PostAsync(string path, string body, string? bearer = Token)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return Client.SendAsync(request);
    }

    public Task<HttpResponseMessage> CompleteAsync(string model, bool stream = false) =>
        PostAsync("v1/completions", JsonSerializer.Serialize(new { model, prompt = "hi", stream }), bearer: null);

    public static string? ReplicaOf(HttpResponseMessage response) =>
        response.Headers.TryGetValues(ReplicaRouting.ReplicaHeader, out var v) ? v.Single() : null;

    /// <summary>Waits (bounded) until the router's health state says <paramref name="condition"/>.</summary>
    public async Task WaitUntil(Func<bool> condition, string what)
    {
        for (int i = 0; i < 200 && !condition(); i++) await Task.Delay(50);
        Assert.True(condition(), $"timed out waiting for: {what}");
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Router.DisposeAsync();
        foreach (var f in Replicas) await f.DisposeAsync();
        try { Directory.Delete(Folder, recursive: true); }
        catch (IOException) { }
    }
}
