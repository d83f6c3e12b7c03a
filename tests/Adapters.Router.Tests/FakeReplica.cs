using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Adapters.Router.Tests;

/// <summary>How a fake replica answers /v1/completions.</summary>
public enum FakeMode { Answer, Busy503, StreamThenDie }

/// <summary>
/// A stand-in for `adapters serve` on a loopback port, with the endpoints the router calls and
/// answers a test sets: it lets the router's choices, retries and fan-out be checked exactly
/// (which replica got what) without loading a model.
/// </summary>
public sealed class FakeReplica : IAsyncDisposable
{
    readonly WebApplication _app;
    int _completions;

    FakeReplica(WebApplication app, Uri url)
    {
        _app = app;
        Url = url;
    }

    public Uri Url { get; }
    public string Id => Url.ToString();
    public volatile FakeMode Mode = FakeMode.Answer;
    public volatile int HealthStatus = 200;
    public volatile int AdminStatus = 200;
    public string[] Models { get; set; } = ["base"];

    /// <summary>Completion requests that reached this replica.</summary>
    public int Completions => Volatile.Read(ref _completions);

    /// <summary>Bodies of the admin calls it got, with their Authorization header.</summary>
    public List<(string Path, string Body, string? Authorization)> AdminCalls { get; } = [];

    public static async Task<FakeReplica> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        var app = builder.Build();
        FakeReplica? self = null;
        app.MapPost("/v1/completions", (HttpContext http) => self!.CompleteAsync(http));
        app.MapPost("/v1/chat/completions", (HttpContext http) => self!.CompleteAsync(http));
        app.MapGet("/health", (HttpContext http) =>
        {
            http.Response.StatusCode = self!.HealthStatus;
            return http.Response.WriteAsync("{\"status\":\"ok\"}");
        });
        app.MapGet("/v1/models", (HttpContext http) =>
        {
            var data = new JsonArray(self!.Models.Select((m, i) => (JsonNode)new JsonObject { ["id"] = m, ["object"] = "model", ["kind"] = i == 0 ? "base" : "adapter" }).ToArray());
            http.Response.ContentType = "application/json";
            return http.Response.WriteAsync(new JsonObject { ["object"] = "list", ["data"] = data }.ToJsonString());
        });
        app.MapPost("/v1/load_lora_adapter", (HttpContext http) => self!.AdminAsync(http));
        app.MapPost("/v1/unload_lora_adapter", (HttpContext http) => self!.AdminAsync(http));
        await app.StartAsync();
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        self = new FakeReplica(app, new Uri(address.TrimEnd('/') + "/"));
        return self;
    }

    async Task CompleteAsync(HttpContext http)
    {
        Interlocked.Increment(ref _completions);
        string body = await new StreamReader(http.Request.Body).ReadToEndAsync();
        string model = JsonNode.Parse(body)!["model"]!.GetValue<string>();
        http.Response.Headers["x-fake-replica"] = Id;
        switch (Mode)
        {
            case FakeMode.Busy503:
                http.Response.StatusCode = 503;
                await http.Response.WriteAsync("{\"error\":{\"message\":\"busy\",\"type\":\"service_unavailable_error\",\"param\":null,\"code\":null}}");
                return;
            case FakeMode.StreamThenDie:
                http.Response.ContentType = "text/event-stream";
                await http.Response.WriteAsync("data: {\"choices\":[{\"text\":\" Once\"}]}\n\n");
                await http.Response.Body.FlushAsync();
                await Task.Delay(100);
                http.Abort(); // the replica dies mid-stream
                return;
            default:
                http.Response.ContentType = "application/json";
                await http.Response.WriteAsync(new JsonObject { ["model"] = model, ["served_by"] = Id, ["echo"] = body }.ToJsonString());
                return;
        }
    }

    async Task AdminAsync(HttpContext http)
    {
        string body = await new StreamReader(http.Request.Body).ReadToEndAsync();
        lock (AdminCalls) AdminCalls.Add((http.Request.Path, body, http.Request.Headers.Authorization.ToString()));
        http.Response.StatusCode = AdminStatus;
        http.Response.ContentType = "application/json";
        await http.Response.WriteAsync(AdminStatus == 200
            ? "{\"status\":\"ok\"}"
            : $"{{\"error\":{{\"message\":\"refused by {Id}\",\"type\":\"invalid_request_error\",\"param\":\"lora_name\",\"code\":null}}}}");
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>A loopback URL where nothing listens (a replica that is gone).</summary>
    public static Uri DeadUrl()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        int port = ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return new Uri($"http://127.0.0.1:{port}/");
    }
}
