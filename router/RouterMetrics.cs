using Prometheus;

namespace Adapters.Router;

/// <summary>
/// The router's Prometheus metrics, in a registry of its own (several routers in one test process
/// never mix counts). Replica labels are their base URLs, as given or resolved.
/// </summary>
public sealed class RouterMetrics
{
    const string Prefix = "adapters_router_";

    public RouterMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        Requests = factory.CreateCounter(Prefix + "requests_total", "Generation attempts sent to a replica, by replica and the status it answered (0: no answer).",
            new CounterConfiguration { LabelNames = ["replica", "status"] });
        Routed = factory.CreateCounter(Prefix + "routed_total", "First attempts by how the replica was chosen: home (the model's replica on the ring), spill (home over its share), round_robin.",
            new CounterConfiguration { LabelNames = ["reason"] });
        Retries = factory.CreateCounter(Prefix + "retries_total", "Requests sent again to the next replica because the first failed before any byte reached the client.",
            new CounterConfiguration { LabelNames = ["reason"] });
        Refused = factory.CreateCounter(Prefix + "refused_total", "Requests the router answered itself (bad body, no replica), by status.",
            new CounterConfiguration { LabelNames = ["status"] });
        ReplicaUp = factory.CreateGauge(Prefix + "replica_up", "1 while the replica is in the ring (health checks pass), 0 while it is out.",
            new GaugeConfiguration { LabelNames = ["replica"] });
        InFlight = factory.CreateGauge(Prefix + "replica_in_flight", "Requests in flight to the replica.", new GaugeConfiguration { LabelNames = ["replica"] });
        AdminCalls = factory.CreateCounter(Prefix + "admin_calls_total", "Admin load/unload calls fanned out, by endpoint and overall status.",
            new CounterConfiguration { LabelNames = ["endpoint", "status"] });
    }

    public CollectorRegistry Registry { get; }
    public Counter Requests { get; }
    public Counter Routed { get; }
    public Counter Retries { get; }
    public Counter Refused { get; }
    public Gauge ReplicaUp { get; }
    public Gauge InFlight { get; }
    public Counter AdminCalls { get; }
}
