namespace Adapters.Router.Routing;

/// <summary>Where one attempt of a request goes, and why.</summary>
/// <param name="Replica">The replica id (its base URL).</param>
/// <param name="Reason">"home" (the model's first available replica on the ring), "spill" (a later one: the home was over its share), or "round_robin".</param>
public sealed record ReplicaChoice(string Replica, string Reason)
{
    public const string Home = "home", Spill = "spill", RoundRobin = "round_robin";
}
