using Adapters.Router.Endpoints;
using Adapters.Router.Replicas;
using Adapters.Router.Routing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Prometheus;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Transforms;

namespace Adapters.Router;

/// <summary>
/// The router in front of `adapters serve` replicas: Kestrel plus YARP. /v1/completions and
/// /v1/chat/completions go through YARP's proxy pipeline, where <see cref="ReplicaRouting"/> picks
/// the replica by the request's model; /v1/models, the admin calls, /health and /metrics are the
/// router's own. Start it, read <see cref="Url"/>, dispose it to stop (in-flight requests get the
/// shutdown timeout).
/// </summary>
public sealed class RouterServer : IAsyncDisposable
{
    readonly WebApplication _app;
    readonly ReplicaDnsWatcher? _dns;
    readonly ReplicaClient _client;
    int _disposed;

    RouterServer(WebApplication app, ReplicaDnsWatcher? dns, ReplicaClient client, ReplicaDirectory directory, RouterMetrics metrics, Uri url)
    {
        _app = app;
        _dns = dns;
        _client = client;
        Directory = directory;
        Metrics = metrics;
        Url = url;
    }

    /// <summary>Where the router listens (the real port when 0 was asked).</summary>
    public Uri Url { get; }

    public ReplicaDirectory Directory { get; }
    public RouterMetrics Metrics { get; }

    public static async Task<RouterServer> StartAsync(RouterOptions options, CancellationToken cancel = default)
    {
        options.Validate();
        var token = options.AdminTokenFile is { } file ? AdminToken.FromFile(file) : AdminToken.Open;
        var directory = new ReplicaDirectory(options);
        var metrics = new RouterMetrics();
        var routing = new ReplicaRouting(directory, options, metrics);
        var client = new ReplicaClient();

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(RouterServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        // Only RouterOptions configure the router (no appsettings.json or environment overrides).
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        if (options.ConsoleLogging)
        {
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            // YARP logs each failed attempt at Information/Warning; the router's own lines say what matters.
            builder.Logging.AddFilter("Yarp", LogLevel.Warning);
        }
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = RequestBody.MaxBytes;
            kestrel.Listen(options.BindAddress, options.Port);
        });
        builder.Services.AddSingleton<IProxyConfigProvider>(directory.Provider);
        builder.Services.AddReverseProxy().AddTransforms(context => context.AddResponseTransform(RetryableResponse.Apply));

        var app = builder.Build();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<RouterServer>();
        app.Use((http, next) => ErrorBoundary(http, next, log));
        app.MapReverseProxy(pipeline => pipeline.Use((http, next) => routing.InvokeAsync(http, () => next(http))));
        app.MapGet("/v1/models", http => ModelsEndpoint.ListAsync(http, directory, client));
        app.MapGet("/v1/models/{**id}", (HttpContext http, string id) => ModelsEndpoint.OneAsync(http, directory, client, id));
        app.MapPost("/v1/load_lora_adapter", http => AdminFanOutEndpoint.HandleAsync(http, directory, client, token, metrics, unload: false));
        app.MapPost("/v1/unload_lora_adapter", http => AdminFanOutEndpoint.HandleAsync(http, directory, client, token, metrics, unload: true));
        app.MapGet("/health", http => HealthAsync(http, directory));
        app.MapMetrics("/metrics", metrics.Registry);
        app.MapFallback(http => throw new RouterError(StatusCodes.Status404NotFound, "invalid_request_error",
            $"no endpoint {http.Request.Method} {http.Request.Path}; see /v1/completions, /v1/chat/completions, /v1/models, /health, /metrics"));

        directory.State = app.Services.GetRequiredService<IProxyStateLookup>();
        directory.HealthUpdater = app.Services.GetRequiredService<IDestinationHealthUpdater>();
        metrics.Registry.AddBeforeCollectCallback(() => PublishReplicaState(directory, metrics));

        ReplicaDnsWatcher? dns = null;
        try
        {
            await app.StartAsync(cancel);
            if (options.ReplicaDns is { } name)
            {
                dns = new ReplicaDnsWatcher(directory, ReplicaDnsName.Parse(name), options.DnsRefresh, log);
                await dns.StartAsync();
            }
        }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
        {
            await app.DisposeAsync();
            client.Dispose();
            throw new IOException($"cannot listen on {options.BindAddress}:{options.Port}: {e.Message}", e);
        }
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        log.LogInformation("routing to {Replicas} ({Policy}) at {Address}", string.Join(", ", directory.All), options.Policy, address);
        return new RouterServer(app, dns, client, directory, metrics, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    static Task HealthAsync(HttpContext http, ReplicaDirectory directory)
    {
        int up = directory.Available.Count;
        var body = new System.Text.Json.Nodes.JsonObject { ["status"] = up > 0 ? "ok" : "no_replica", ["replicas_up"] = up, ["replicas_known"] = directory.Known.Count };
        return ModelsEndpoint.WriteJson(http, up > 0 ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable, body);
    }

    static void PublishReplicaState(ReplicaDirectory directory, RouterMetrics metrics)
    {
        var available = directory.Available.Select(d => d.DestinationId).ToHashSet(StringComparer.Ordinal);
        var known = directory.Known;
        foreach (var destination in known)
        {
            metrics.ReplicaUp.WithLabels(destination.DestinationId).Set(available.Contains(destination.DestinationId) ? 1 : 0);
            metrics.InFlight.WithLabels(destination.DestinationId).Set(destination.ConcurrentRequestCount);
        }
        // Replicas DNS no longer names stop being reported rather than reading "down" for ever.
        var current = known.Select(d => d.DestinationId).ToHashSet(StringComparer.Ordinal);
        foreach (var labels in metrics.ReplicaUp.GetAllLabelValues().Where(l => !current.Contains(l[0])).ToList())
        {
            metrics.ReplicaUp.RemoveLabelled(labels);
            metrics.InFlight.RemoveLabelled(labels);
        }
    }

    /// <summary>Refusals become OpenAI-style JSON; anything else is a logged 500 (a router fault, never a client's).</summary>
    static async Task ErrorBoundary(HttpContext http, Func<Task> next, ILogger log)
    {
        try { await next(); }
        catch (RouterError e) when (!http.Response.HasStarted) { await e.WriteAsync(http); }
        catch (BadHttpRequestException e) when (!http.Response.HasStarted)
        {
            await new RouterError(e.StatusCode, "invalid_request_error", $"bad request: {e.Message}").WriteAsync(http);
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested) { }
        catch (Exception e)
        {
            log.LogError(e, "request {Method} {Path} failed", http.Request.Method, http.Request.Path);
            if (!http.Response.HasStarted)
                await new RouterError(StatusCodes.Status500InternalServerError, "server_error", $"internal error: {e.Message}").WriteAsync(http);
        }
    }

    public Task WaitForShutdownAsync(CancellationToken cancel = default) => _app.WaitForShutdownAsync(cancel);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        if (_dns is not null) await _dns.DisposeAsync();
        await _app.StopAsync();
        await _app.DisposeAsync();
        _client.Dispose();
    }
}
