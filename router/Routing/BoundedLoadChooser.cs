namespace Adapters.Router.Routing;

/// <summary>
/// Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam, 2016): a model goes to
/// its home replica on the ring unless the home already carries more than its share of the requests
/// in flight, ⌈c · (in flight + 1) / replicas⌉ with load factor c; then to the next replica on the
/// ring under that bound. Requests for one adapter therefore meet its loaded copy, and a hot adapter
/// overflows to one or two fixed neighbours instead of everywhere. Pure: state comes in as arguments.
/// </summary>
public static class BoundedLoadChooser
{
    /// <summary>HAProxy's and Vimeo's choice for the same scheme: at most 25 % above the mean.</summary>
    public const double DefaultLoadFactor = 1.25;

    /// <param name="ring">All replicas the router knows.</param>
    /// <param name="model">The request's model (adapter or base name).</param>
    /// <param name="available">Replicas that may take this attempt (healthy, not already tried).</param>
    /// <param name="inFlight">Requests in flight per replica.</param>
    /// <returns>Null when no replica is available.</returns>
    public static ReplicaChoice? Choose(HashRing ring, string model, IReadOnlySet<string> available, Func<string, int> inFlight, double loadFactor)
    {
        if (loadFactor < 1) throw new ArgumentOutOfRangeException(nameof(loadFactor), loadFactor, "the load factor must be >= 1");
        var candidates = ring.Walk(model).Where(available.Contains).ToList();
        if (candidates.Count == 0) return null;
        long total = candidates.Sum(r => (long)inFlight(r));
        long bound = (long)Math.Ceiling(loadFactor * (total + 1) / candidates.Count);
        for (int i = 0; i < candidates.Count; i++)
            if (inFlight(candidates[i]) + 1 <= bound)
                return new ReplicaChoice(candidates[i], i == 0 ? ReplicaChoice.Home : ReplicaChoice.Spill);
        return new ReplicaChoice(candidates[0], ReplicaChoice.Home); // unreachable for c >= 1: some replica is at or below the mean
    }
}
