namespace Adapters.Bench.Serving;

/// <summary>What the adapter clients ask for during one window of the store benchmark.</summary>
public enum StoreCondition
{
    /// <summary>Zipf traffic over as many adapters as fit, all in memory (warmed before the window): hits only.</summary>
    HitsOnly,

    /// <summary>Zipf traffic over the whole store: hits and misses (reads from disk).</summary>
    Misses,
}

/// <summary>
/// One window of the interleaved part of the store benchmark: its condition, its span on the base
/// client's clock, the base-model streams measured in it and the adapter requests sent in it.
/// </summary>
public sealed record StoreWindow
{
    /// <summary>
    /// Base requests that start this soon after a window opens are not measured: the new window's
    /// clients are still connecting, and the replica's memory still holds the previous condition's
    /// adapters (a misses window starts with only the hot set resident, so it misses more at first).
    /// </summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(0.5);

    public required int Index { get; init; }
    public required StoreCondition Condition { get; init; }

    /// <summary>Seconds on the base client's clock: from the start of the window's adapter traffic to the end of its last request.</summary>
    public required double Start { get; init; }
    public required double End { get; init; }

    /// <summary>Base-model requests measured here: started after the settle time, ended within the window.</summary>
    public required IReadOnlyList<ServeRequestRecord> Base { get; init; }

    /// <summary>Base-model requests that started in the window but were not measured (in the settle time, or still running at its end).</summary>
    public required int BaseDropped { get; init; }

    public required IReadOnlyList<ServeRequestRecord> Adapters { get; init; }

    /// <summary>What the replica's runtime spent during the window (allocations, GC pauses, tokens): read from its /metrics before and after.</summary>
    public required ServerRuntimeCounters Server { get; init; }

    /// <summary>ABBA order, H M M H H M M H …: a linear drift over the run weighs on both conditions alike.</summary>
    public static StoreCondition ConditionOf(int index) => (index % 4) is 0 or 3 ? StoreCondition.HitsOnly : StoreCondition.Misses;

    /// <summary>The window, with the base requests that started in it sorted into measured and dropped (each is counted in one window at most).</summary>
    public static StoreWindow Of(int index, double start, double end, IReadOnlyList<ServeRequestRecord> adapters, ServerRuntimeCounters server,
        IEnumerable<ServeRequestRecord> baseRecords)
    {
        var startedHere = baseRecords.Where(r => r.Start >= start && r.Start < end).ToList();
        var measured = startedHere.Where(r => r.Start >= start + SettleTime.TotalSeconds && r.End <= end).ToList();
        return new StoreWindow
        {
            Index = index,
            Condition = ConditionOf(index),
            Start = start,
            End = end,
            Base = measured,
            BaseDropped = startedHere.Count - measured.Count,
            Adapters = adapters,
            Server = server,
        };
    }
}
