using System.Net;
using Adapters.Router.Routing;

namespace Adapters.Router;

/// <summary>How <see cref="RouterServer"/> routes; each value is an option of `adapters router`.</summary>
public sealed record RouterOptions
{
    /// <summary>Port of `adapters serve` (vLLM's), and so of the router in front of it when it runs elsewhere.</summary>
    public const int DefaultPort = 8000;

    /// <summary>Replica base URLs given one by one (--replica).</summary>
    public IReadOnlyList<Uri> Replicas { get; init; } = [];

    /// <summary>A DNS name and port (--replica-dns NAME:PORT) whose addresses are the replicas, re-resolved every <see cref="DnsRefresh"/>: a Kubernetes headless Service.</summary>
    public string? ReplicaDns { get; init; }

    public TimeSpan DnsRefresh { get; init; } = TimeSpan.FromSeconds(10);

    public IPAddress BindAddress { get; init; } = IPAddress.Loopback;

    /// <summary>TCP port; 0 picks a free one (see <see cref="RouterServer.Url"/>).</summary>
    public int Port { get; init; }

    /// <summary>File holding the bearer token of the admin endpoints; the router checks it and sends it on to the replicas (which share it).</summary>
    public string? AdminTokenFile { get; init; }

    public RoutingPolicy Policy { get; init; } = RoutingPolicy.Affinity;

    /// <summary>c of the bounded-load rule: a replica takes a model's request while it has at most c × its share of the requests in flight.</summary>
    public double LoadFactor { get; init; } = BoundedLoadChooser.DefaultLoadFactor;

    /// <summary>A replica with fewer requests in flight than this is never over its share (set it to the replicas' --max-batch: those rows run in one decode step).</summary>
    public int SpillFloor { get; init; } = BoundedLoadChooser.DefaultFloor;

    /// <summary>Between two active /health probes of each replica.</summary>
    public TimeSpan HealthInterval { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>A probe not answered within this counts as failed.</summary>
    public TimeSpan HealthTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>Idle time allowed while a replica generates before the router gives up on it (a long non-streamed completion sends nothing until it ends).</summary>
    public TimeSpan ActivityTimeout { get; init; } = TimeSpan.FromMinutes(10);

    public TimeSpan ShutdownTimeout { get; init; } = TimeSpan.FromSeconds(30);

    public bool ConsoleLogging { get; init; }

    /// <summary>Checks every value, naming the bad one.</summary>
    public RouterOptions Validate()
    {
        if (Replicas.Count == 0 && string.IsNullOrWhiteSpace(ReplicaDns))
            throw new ArgumentException("at least one replica is needed: --replica URL (repeatable) or --replica-dns NAME:PORT");
        foreach (var replica in Replicas)
        {
            if (!replica.IsAbsoluteUri || replica.Scheme is not ("http" or "https"))
                throw new ArgumentException($"--replica must be an http:// or https:// URL, got '{replica.OriginalString}'");
            if (replica.AbsolutePath != "/" || replica.Query.Length > 0 || replica.Fragment.Length > 0)
                throw new ArgumentException($"--replica must be a base URL without a path (the router adds /v1/...), got '{replica.OriginalString}'");
        }
        if (ReplicaDns is not null) ReplicaDnsName.Parse(ReplicaDns);
        if (Port is < 0 or > IPEndPoint.MaxPort) throw new ArgumentException($"port must be in 0..{IPEndPoint.MaxPort}, got {Port}");
        if (!(LoadFactor >= 1) || double.IsInfinity(LoadFactor)) throw new ArgumentException($"load factor must be a number >= 1, got {LoadFactor}");
        if (SpillFloor < 0) throw new ArgumentException($"spill floor must be >= 0, got {SpillFloor}");
        if (HealthInterval <= TimeSpan.Zero) throw new ArgumentException($"health interval must be positive, got {HealthInterval}");
        if (HealthTimeout <= TimeSpan.Zero) throw new ArgumentException($"health timeout must be positive, got {HealthTimeout}");
        if (DnsRefresh <= TimeSpan.Zero) throw new ArgumentException($"DNS refresh must be positive, got {DnsRefresh}");
        if (AdminTokenFile is null && !IPAddress.IsLoopback(BindAddress))
            throw new ArgumentException($"binding to {BindAddress} (not loopback) needs an admin token file, or anyone who can reach the port could load adapters on every replica");
        return this;
    }
}
