using System.Net;
using Adapters.Router.Routing;
using Yarp.ReverseProxy;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Health;
using Yarp.ReverseProxy.Model;

namespace Adapters.Router.Replicas;

/// <summary>
/// The replicas the router knows, as one YARP cluster: the --replica URLs plus the addresses
/// --replica-dns resolves to (refreshed by <see cref="ReplicaDnsWatcher"/>). YARP owns their state:
/// active /health probes mark a replica healthy or not, and <see cref="MarkFailed"/> takes one out
/// at once when a request finds it gone. The hash ring is built over every known replica; the
/// routing skips those YARP does not list as available, which is how a replica leaves the ring.
/// </summary>
public sealed class ReplicaDirectory
{
    public const string ClusterId = "replicas";
    public const string CompletionsRoute = "completions", ChatRoute = "chat-completions";

    readonly RouterOptions _options;
    readonly IReadOnlyList<string> _static;
    readonly Lock _lock = new();
    IReadOnlyList<string> _resolved = [];
    HashRing _ring;

    public ReplicaDirectory(RouterOptions options)
    {
        _options = options;
        _static = options.Replicas.Select(Normalize).Distinct(StringComparer.Ordinal).ToList();
        Provider = new InMemoryConfigProvider(Routes(), [Cluster(_static)]);
        _ring = new HashRing(_static);
    }

    /// <summary>Feeds YARP its routes and the cluster; updated when DNS answers change.</summary>
    public InMemoryConfigProvider Provider { get; }

    /// <summary>Set once the app is built: where YARP keeps each replica's health and requests in flight.</summary>
    public IProxyStateLookup? State { get; set; }

    public IDestinationHealthUpdater? HealthUpdater { get; set; }

    public HashRing Ring
    {
        get { lock (_lock) return _ring; }
    }

    /// <summary>Every replica id (base URL), whatever its health.</summary>
    public IReadOnlyList<string> All
    {
        get { lock (_lock) return _ring.Members; }
    }

    /// <summary>Replicas YARP considers available now (healthy or not yet probed).</summary>
    public IReadOnlyList<DestinationState> Available =>
        State is not null && State.TryGetCluster(ClusterId, out var cluster) ? cluster.DestinationsState.AvailableDestinations : [];

    public IReadOnlyList<DestinationState> Known =>
        State is not null && State.TryGetCluster(ClusterId, out var cluster) ? cluster.DestinationsState.AllDestinations : [];

    /// <summary>Takes a replica out of the ring now (a connection to it failed), until a later probe finds it healthy again.</summary>
    public void MarkFailed(DestinationState destination)
    {
        if (State is null || HealthUpdater is null || !State.TryGetCluster(ClusterId, out var cluster)) return;
        // Active probes decide when it comes back: the passive mark expires after a few probe intervals.
        var reactivation = TimeSpan.FromTicks(Math.Max(TimeSpan.FromSeconds(5).Ticks, 3 * _options.HealthInterval.Ticks));
        HealthUpdater.SetPassive(cluster, destination, DestinationHealth.Unhealthy, reactivation);
    }

    /// <summary>Replaces the DNS-resolved part of the replica set (the --replica URLs always stay).</summary>
    public void SetResolved(IEnumerable<string> urls)
    {
        var resolved = urls.Select(u => Normalize(new Uri(u))).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToList();
        lock (_lock)
        {
            if (resolved.SequenceEqual(_resolved)) return;
            _resolved = resolved;
            var all = _static.Concat(resolved).Distinct(StringComparer.Ordinal).ToList();
            _ring = new HashRing(all);
            Provider.Update(Routes(), [Cluster(all)]);
        }
    }

    /// <summary>One spelling per replica: scheme, host and port with a trailing slash.</summary>
    public static string Normalize(Uri url) => new UriBuilder(url.Scheme, url.Host, url.Port).Uri.ToString();

    /// <summary>The base URL of <paramref name="address"/>:<paramref name="port"/> (IPv6 in brackets).</summary>
    public static string UrlOf(IPAddress address, int port) =>
        new UriBuilder("http", address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString(), port).Uri.ToString();

    static IReadOnlyList<RouteConfig> Routes() =>
    [
        new RouteConfig { RouteId = CompletionsRoute, ClusterId = ClusterId, Match = new RouteMatch { Path = "/v1/completions", Methods = ["POST"] } },
        new RouteConfig { RouteId = ChatRoute, ClusterId = ClusterId, Match = new RouteMatch { Path = "/v1/chat/completions", Methods = ["POST"] } },
    ];

    ClusterConfig Cluster(IEnumerable<string> replicas) => new()
    {
        ClusterId = ClusterId,
        Destinations = replicas.ToDictionary(r => r, r => new DestinationConfig { Address = r }, StringComparer.Ordinal),
        HealthCheck = new HealthCheckConfig
        {
            Active = new ActiveHealthCheckConfig
            {
                Enabled = true,
                Interval = _options.HealthInterval,
                Timeout = _options.HealthTimeout,
                Policy = "ConsecutiveFailures",
                Path = "/health", // `adapters serve` answers 503 while draining, so a stopping replica leaves the ring too
            },
            // Enabled so that MarkFailed's passive state counts; the routing sets it, not a YARP policy.
            Passive = new PassiveHealthCheckConfig { Enabled = true, Policy = "TransportFailureRate" },
            AvailableDestinationsPolicy = HealthCheckConstants.AvailableDestinations.HealthyAndUnknown,
        },
        HttpRequest = new Yarp.ReverseProxy.Forwarder.ForwarderRequestConfig
        {
            ActivityTimeout = _options.ActivityTimeout,
            Version = HttpVersion.Version11,
            VersionPolicy = HttpVersionPolicy.RequestVersionOrLower,
        },
        // Two failed probes in a row take a replica out: one slow answer on a busy machine does not.
        Metadata = new Dictionary<string, string> { [ConsecutiveFailuresHealthPolicyOptions.ThresholdMetadataName] = "2" },
    };
}
