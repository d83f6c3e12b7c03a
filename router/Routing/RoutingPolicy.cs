namespace Adapters.Router.Routing;

/// <summary>How the router picks a replica for a generation request.</summary>
public enum RoutingPolicy
{
    /// <summary>Consistent hashing on the request's model with bounded load (the default).</summary>
    Affinity,

    /// <summary>Each request to the next available replica in turn, ignoring the model: the baseline affinity is measured against.</summary>
    RoundRobin,
}
