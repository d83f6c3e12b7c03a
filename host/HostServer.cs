using Adapters.Host.Admin;
using Adapters.Host.Api;
using Adapters.Runtime.Backends;
using Adapters.Host.Completions;
using Adapters.Host.Endpoints;
using Adapters.Host.Metrics;
using Adapters.Core.Exported;
using Adapters.Runtime;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Prometheus;

namespace Adapters.Host;

/// <summary>
/// The OpenAI-compatible inference server: Kestrel with minimal-API endpoints over an
/// <see cref="ICompletionBackend"/>. Start it, read <see cref="Url"/>, and dispose it to shut
/// down gracefully (stop accepting, let in-flight requests finish within the shutdown timeout).
/// </summary>
public sealed class HostServer : IAsyncDisposable
{
    /// <summary>Request bodies larger than this are refused (413): a prompt beyond any context we serve, or an attack.</summary>
    const long MaxRequestBodyBytes = 4 * 1024 * 1024;

    /// <summary>After the shutdown timeout Kestrel aborts requests; this is how long their generation gets to unwind before the model is freed.</summary>
    static readonly TimeSpan UnwindTimeout = TimeSpan.FromSeconds(5);

    readonly WebApplication _app;
    readonly HostState _state;
    readonly bool _ownsBackend;
    readonly IDisposable? _ownedAdmin;
    readonly IDisposable? _metricsFeed;
    int _disposed;

    HostServer(WebApplication app, HostState state, bool ownsBackend, IDisposable? ownedAdmin, IDisposable? metricsFeed, Uri url)
    {
        _app = app;
        _state = state;
        _ownsBackend = ownsBackend;
        _ownedAdmin = ownedAdmin;
        _metricsFeed = metricsFeed;
        Url = url;
    }

    /// <summary>Where the server listens, e.g. http://127.0.0.1:41234/ (the real port when 0 was asked).</summary>
    public Uri Url { get; }

    public ICompletionBackend Backend => _state.Backend;
    public HostMetrics Metrics => _state.Metrics;

    /// <summary>
    /// Loads <see cref="HostServerOptions.ModelFolder"/> and starts serving it. An export with
    /// adapter inputs (swappable or batched) gets the continuous-batching
    /// <see cref="SchedulerBackend"/> with runtime adapter loading; its exported adapters, and the
    /// exported adapter manifests at the top of each adapter root, are served from the start.
    /// Any other export gets a <see cref="SessionPerRequestBackend"/> (base model only).
    /// </summary>
    public static async Task<HostServer> StartAsync(HostServerOptions options, CancellationToken cancel = default)
    {
        options.Validate();
        string folder = options.ModelFolder!;
        string name = options.ServedModelName ?? Path.GetFileName(Path.TrimEndingDirectorySeparator(Path.GetFullPath(folder)));
        var runtime = new OnnxRuntimeOptions { IntraOpThreads = options.IntraOpThreads, Log = options.ConsoleLogging ? null : _ => { } };
        if (!LoadsAdapters(folder))
        {
            var plain = SessionPerRequestBackend.Load(folder, name, options.MaxBatch, runtime);
            try { return await StartCoreAsync(options, plain, new NoAdapterAdmin(), ownsBackend: true, ownedAdmin: null, [], cancel); }
            catch
            {
                await plain.DisposeAsync();
                throw;
            }
        }

        var backend = SchedulerBackend.Load(folder, name, options.MaxBatch, options.MaxLoadedAdapters, runtime);
        RegistryAdapterAdmin? admin = null;
        try
        {
            admin = new RegistryAdapterAdmin(backend.Registry, name, new AdapterLoadOptions
            {
                Roots = options.AdapterRoots.Count > 0 ? new Adapters.Core.IO.FileConfinement(options.AdapterRoots) : null,
                Timeout = options.AdapterLoadTimeout,
                BeforeCommit = options.AdapterLoadBeforeCommit,
            });
            var problems = admin.LoadExportedFromRoots(options.AdapterRoots);
            return await StartCoreAsync(options, backend, admin, ownsBackend: true, ownedAdmin: admin, problems, cancel);
        }
        catch
        {
            admin?.Dispose();
            await backend.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Whether <see cref="StartAsync(HostServerOptions, CancellationToken)"/> serves this folder with
    /// adapters (an export with adapter inputs: swappable or batched); any other is served base-model
    /// only, and adapter roots, loaded-adapter limits and load timeouts have nothing to apply to.
    /// </summary>
    public static bool LoadsAdapters(string folder) => ExportedModel.Open(folder).Manifest.Adapters is { Mode: not AdapterExportMode.Fused };

    /// <summary>Serves <paramref name="backend"/> (borrowed: the caller disposes it and <paramref name="admin"/> after the server).</summary>
    public static Task<HostServer> StartAsync(HostServerOptions options, ICompletionBackend backend, IAdapterAdmin admin, CancellationToken cancel = default)
    {
        options.Validate(requireModelFolder: false);
        return StartCoreAsync(options, backend, admin, ownsBackend: false, ownedAdmin: null, [], cancel);
    }

    static async Task<HostServer> StartCoreAsync(HostServerOptions options, ICompletionBackend backend, IAdapterAdmin admin, bool ownsBackend,
        IDisposable? ownedAdmin, IReadOnlyList<string> startupProblems, CancellationToken cancel)
    {
        var token = options.AdminTokenFile is { } file ? AdminTokenCheck.FromFile(file) : AdminTokenCheck.Open;
        var paths = new AdapterPathPolicy(options.AdapterRoots);
        var metrics = new HostMetrics();

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions
        {
            ApplicationName = typeof(HostServer).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
        });
        // Only HostServerOptions configure the server: an appsettings.json in the working folder or
        // an ASPNETCORE_/Kestrel__ variable must not add endpoints or change limits behind its back.
        builder.Configuration.Sources.Clear();
        builder.Logging.ClearProviders();
        if (options.ConsoleLogging)
        {
            // Logs go to standard error: the CLI keeps standard output for results.
            builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
            builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
            // ASP.NET Core logs every request at Information; keep its warnings and the lifetime lines only.
            builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
            // A start that fails (an address this machine cannot bind) is reported once, as the
            // IOException below (one `error:` line in the CLI), not also as the host's stack trace.
            builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        }
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = options.ShutdownTimeout);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = MaxRequestBodyBytes;
            kestrel.Listen(options.BindAddress, options.Port);
        });
        var app = builder.Build();
        var lifetime = app.Services.GetRequiredService<IHostApplicationLifetime>();
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger<HostServer>();
        // With adapter roots and runtime loading, the roots are also a store adapters load from on first request.
        var store = backend is SchedulerBackend lazy && admin is RegistryAdapterAdmin && paths.Roots.Count > 0
            ? new LazyAdapterStore(admin, paths, lazy.Registry, backend.BaseModelName, metrics, log)
            : null;
        var state = new HostState(options, backend, admin, token, paths,
            new AdmissionControl(options.MaxBatch, options.MaxQueue, metrics), metrics, lifetime.ApplicationStopping, store);

        app.Use((http, next) => ErrorBoundary(http, next, metrics, log));
        app.MapPost("/v1/completions", http => CompletionsEndpoint.HandleAsync(http, state));
        app.MapPost("/v1/chat/completions", http => ChatCompletionsEndpoint.HandleAsync(http, state));
        app.MapGet("/v1/models", http => ModelsEndpoint.HandleAsync(http, state));
        app.MapGet("/v1/models/{**id}", (HttpContext http, string id) => ModelsEndpoint.HandleOneAsync(http, state, id));
        app.MapPost("/v1/load_lora_adapter", http => AdapterAdminEndpoints.LoadAsync(http, state));
        app.MapPost("/v1/unload_lora_adapter", http => AdapterAdminEndpoints.UnloadAsync(http, state));
        app.MapGet("/health", http => HealthEndpoint.HandleAsync(http, state));
        app.MapMetrics("/metrics", metrics.Registry);
        app.MapFallback(http => throw new ApiException(StatusCodes.Status404NotFound, ErrorTypes.NotFound,
            $"no endpoint {http.Request.Method} {http.Request.Path}; see /v1/completions, /v1/models, /health, /metrics"));

        foreach (string problem in startupProblems) log.LogWarning("adapter not served: {Problem}", problem);
        var metricsFeed = backend is SchedulerBackend scheduled ? SchedulerMetricsFeed.Attach(scheduled, metrics) : null;
        try { await app.StartAsync(cancel); }
        catch (Exception e) when (e is System.Net.Sockets.SocketException or IOException)
        {
            metricsFeed?.Dispose();
            await app.DisposeAsync();
            // A port in use, an address this machine does not have, an IPv4-mapped IPv6 address: the user's to fix.
            throw new IOException($"cannot listen on {options.BindAddress}:{options.Port}: {e.Message}", e);
        }
        catch
        {
            metricsFeed?.Dispose();
            throw;
        }
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        log.LogInformation("serving {Model} at {Address}", backend.BaseModelName, address);
        return new HostServer(app, state, ownsBackend, ownedAdmin, metricsFeed, new Uri(address.EndsWith('/') ? address : address + "/"));
    }

    /// <summary>
    /// Turns every refusal and failure into an OpenAI-style JSON error, so no input can take the
    /// server down or leave a client with an empty answer; also counts requests by status.
    /// </summary>
    static async Task ErrorBoundary(HttpContext http, Func<Task> next, HostMetrics metrics, ILogger log)
    {
        try { await next(); }
        catch (ApiException e) when (!http.Response.HasStarted)
        {
            await HttpJson.WriteErrorAsync(http, e);
        }
        catch (BadHttpRequestException e) when (!http.Response.HasStarted)
        {
            await HttpJson.WriteErrorAsync(http, new ApiException(e.StatusCode, ErrorTypes.InvalidRequest, $"bad request: {e.Message}"));
        }
        catch (Exception) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client is gone: nothing to answer, and not a server fault.
        }
        catch (Exception e)
        {
            log.LogError(e, "request {Method} {Path} failed", http.Request.Method, http.Request.Path);
            if (!http.Response.HasStarted)
                await HttpJson.WriteErrorAsync(http, new ApiException(StatusCodes.Status500InternalServerError, ErrorTypes.Server, $"internal error: {e.Message}"));
        }
        finally
        {
            string endpoint = (http.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            metrics.Requests.WithLabels(endpoint, http.Response.StatusCode.ToString()).Inc();
        }
    }

    /// <summary>Completes when the server is told to stop (Ctrl+C, SIGTERM); the CLI waits on this.</summary>
    public Task WaitForShutdownAsync(CancellationToken cancel = default) => _app.WaitForShutdownAsync(cancel);

    /// <summary>
    /// Graceful shutdown: new generation requests get 503 and /health 503 at once; in-flight
    /// requests get up to the shutdown timeout to finish while the port stays open; then Kestrel
    /// stops, and the backend is released once no generation runs on it.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0) return;
        // Drain before Kestrel stops listening: while in-flight requests finish (up to the shutdown
        // timeout) the port stays open and /health answers 503, so load balancers move away
        // instead of seeing refused connections. Only then does Kestrel stop (aborting what is left).
        _app.Lifetime.StopApplication();
        await _state.Admission.WaitIdleAsync(_state.Options.ShutdownTimeout);
        await _app.StopAsync();
        await _state.Admission.WaitIdleAsync(UnwindTimeout);
        await _app.DisposeAsync();
        _metricsFeed?.Dispose();
        if (_ownsBackend) await _state.Backend.DisposeAsync();
        _ownedAdmin?.Dispose();
    }
}
