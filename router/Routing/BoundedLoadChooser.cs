namespace Adapters.Router.Routing;

/// <summary>
/// Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam, 2016): a model goes to
/// its home replica on the ring unless the home already carries more than its share of the requests
/// in flight, ⌈c · (in flight + 1) / replicas⌉ with load factor c; then to the next replica on the
/// ring under that bound. Requests for one adapter therefore meet its loaded copy, and a hot adapter
/// overflows to one or two fixed neighbours instead of everywhere. The bound never drops below a
/// floor: a replica generating fewer requests than its batch rows runs them in the same decode
/// steps, so sending one elsewhere would buy no speed and cost an adapter load there. And of the
/// models homed on an over-bound replica only the hottest there (the most requests sent to it
/// lately) spills: it is what makes the home busy, and its copy on the neighbour is then used again
/// and again, so relieving the home costs one extra load instead of one per adapter homed there
/// (under Zipf traffic those spills of colder adapters were most of the extra loads). Colder
/// adapters' requests queue at home, where they are loaded; consistent hashing already spreads
/// many equally cold adapters evenly.
/// Pure: state comes in as arguments.
/// </summary>
public static class BoundedLoadChooser
{
    /// <summary>HAProxy's and Vimeo's choice for the same scheme: at most 25 % above the mean.</summary>
    public const double DefaultLoadFactor = 1.25;

    /// <summary>`adapters serve`'s default --max-batch.</summary>
    public const int DefaultFloor = 4;

    /// <param name="ring">All replicas the router knows.</param>
    /// <param name="model">The request's model (adapter or base name).</param>
    /// <param name="available">Replicas that may take this attempt (healthy, not already tried).</param>
    /// <param name="inFlight">Requests in flight per replica.</param>
    /// <returns>Null when no replica is available.</returns>
    /// <param name="floor">Requests in flight a replica always takes before it counts as over its share (the replicas' --max-batch).</param>
    /// <param name="isHottest">Whether <paramref name="model"/> is the hottest model at a replica; null: every model may spill (plain bounded load).</param>
    public static ReplicaChoice? Choose(HashRing ring, string model, IReadOnlySet<string> available, Func<string, int> inFlight, double loadFactor, int floor = 0,
        Func<string, bool>? isHottest = null)
    {
        if (loadFactor < 1) throw new ArgumentOutOfRangeException(nameof(loadFactor), loadFactor, "the load factor must be >= 1");
        if (floor < 0) throw new ArgumentOutOfRangeException(nameof(floor), floor, "the floor must be >= 0");
        var candidates = ring.Walk(model).Where(available.Contains).ToList();
        if (candidates.Count == 0) return null;
        long total = candidates.Sum(r => (long)inFlight(r));
        long bound = Math.Max(floor, (long)Math.Ceiling(loadFactor * (total + 1) / candidates.Count));
        if (isHottest is not null && inFlight(candidates[0]) + 1 > bound && !isHottest(candidates[0]))
            return new ReplicaChoice(candidates[0], ReplicaChoice.Home);
        for (int i = 0; i < candidates.Count; i++)
            if (inFlight(candidates[i]) + 1 <= bound)
                return new ReplicaChoice(candidates[i], i == 0 ? ReplicaChoice.Home : ReplicaChoice.Spill);
        return new ReplicaChoice(candidates[0], ReplicaChoice.Home); // unreachable for c >= 1: some replica is at or below the mean
    }
}
