using System.Net;

namespace Adapters.Host;

/// <summary>
/// How <see cref="HostServer"/> serves a model. Named HostServerOptions, not HostOptions, so it
/// never collides with Microsoft.Extensions.Hosting.HostOptions in code that uses both.
/// </summary>
public sealed record HostServerOptions
{
    /// <summary>Defaults sized for a small CPU box; each is a command-line option of `adapters serve`.</summary>
    public const int DefaultMaxBatch = 4, DefaultMaxQueue = 64, DefaultMaxLoadedAdapters = 8;

    /// <summary>Generous for CPU decoding of a few hundred tokens; a stuck request must not hold a slot for ever.</summary>
    public static readonly TimeSpan DefaultRequestTimeout = TimeSpan.FromMinutes(5);

    /// <summary>How long shutdown waits for in-flight requests before cancelling them.</summary>
    public static readonly TimeSpan DefaultShutdownTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Exported ONNX folder (model.onnx, model_manifest.json, tokenizer); not needed when a backend is passed in.</summary>
    public string? ModelFolder { get; init; }

    /// <summary>Name requests use for the base model; default: the model folder's name.</summary>
    public string? ServedModelName { get; init; }

    /// <summary>Folders that lora_path of /v1/load_lora_adapter must lie inside; none = runtime loading refused. Exported adapter manifests at their top level are served from start.</summary>
    public IReadOnlyList<string> AdapterRoots { get; init; } = [];

    /// <summary>Address to bind; loopback unless deliberately exposed.</summary>
    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>TCP port; 0 picks any free port (see <see cref="HostServer.Url"/>).</summary>
    public int Port { get; init; }

    /// <summary>Requests generating at the same time.</summary>
    public int MaxBatch { get; init; } = DefaultMaxBatch;

    /// <summary>Requests waiting for a slot; one more is answered 429.</summary>
    public int MaxQueue { get; init; } = DefaultMaxQueue;

    /// <summary>Queue wait plus generation; past it the request is cancelled and answered 504.</summary>
    public TimeSpan RequestTimeout { get; init; } = DefaultRequestTimeout;

    public TimeSpan ShutdownTimeout { get; init; } = DefaultShutdownTimeout;

    /// <summary>Reading, checking and converting one adapter of /v1/load_lora_adapter; beyond it the load is answered 504 and changes nothing.</summary>
    public TimeSpan AdapterLoadTimeout { get; init; } = DefaultAdapterLoadTimeout;

    public static readonly TimeSpan DefaultAdapterLoadTimeout = Admin.AdapterLoadOptions.DefaultTimeout;

    /// <summary>Tests only: <see cref="Admin.AdapterLoadOptions.BeforeCommit"/> of the server's adapter loads.</summary>
    internal Action? AdapterLoadBeforeCommit { get; init; }

    /// <summary>File holding the bearer token of the admin endpoints; null = no token (loopback only).</summary>
    public string? AdminTokenFile { get; init; }

    /// <summary>
    /// Adapter versions in memory at once, counted (not bytes): beyond it the least recently used
    /// adapter no request holds is evicted and read back from disk on its next request. Replaced
    /// versions still running count until they finish; when all are held a load is answered 503.
    /// Used by the scheduler backend (exports with adapter inputs).
    /// </summary>
    public int MaxLoadedAdapters { get; init; } = DefaultMaxLoadedAdapters;

    /// <summary>ONNX Runtime threads per operator; 0 = ONNX Runtime's choice.</summary>
    public int IntraOpThreads { get; init; }

    /// <summary>Log requests and lifecycle to the console (the CLI does; tests keep quiet).</summary>
    public bool ConsoleLogging { get; init; }

    /// <summary>Checks every value, naming the bad one and its limit.</summary>
    public HostServerOptions Validate(bool requireModelFolder = true)
    {
        if (requireModelFolder && string.IsNullOrWhiteSpace(ModelFolder))
            throw new ArgumentException("a model folder is required (an exported ONNX folder)");
        if (ServedModelName is { } served && string.IsNullOrWhiteSpace(served))
            throw new ArgumentException("the served model name must not be empty (leave --served-model-name out to use the folder's name)");
        if (Port is < 0 or > IPEndPoint.MaxPort) throw new ArgumentException($"port must be in 0..{IPEndPoint.MaxPort}, got {Port}");
        if (MaxBatch < 1) throw new ArgumentException($"max batch must be >= 1, got {MaxBatch}");
        if (MaxQueue < 0) throw new ArgumentException($"max queue must be >= 0, got {MaxQueue}");
        if (MaxLoadedAdapters < 1) throw new ArgumentException($"max loaded adapters must be >= 1, got {MaxLoadedAdapters}");
        if (IntraOpThreads < 0) throw new ArgumentException($"intra-op threads must be >= 0, got {IntraOpThreads}");
        if (RequestTimeout <= TimeSpan.Zero) throw new ArgumentException($"request timeout must be positive, got {RequestTimeout}");
        if (AdapterLoadTimeout <= TimeSpan.Zero) throw new ArgumentException($"adapter load timeout must be positive, got {AdapterLoadTimeout}");
        if (ShutdownTimeout < TimeSpan.Zero) throw new ArgumentException($"shutdown timeout must be >= 0, got {ShutdownTimeout}");
        if (AdminTokenFile is null && !IPAddress.IsLoopback(BindAddress))
            throw new ArgumentException($"binding to {BindAddress} (not loopback) needs an admin token file, or anyone who can reach the port could load adapters");
        return this;
    }
}
