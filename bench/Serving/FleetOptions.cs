namespace Adapters.Bench.Serving;

/// <summary>The fleet benchmark: replicas behind the router, Zipf traffic, affinity against round-robin, and one replica killed.</summary>
public sealed record FleetOptions
{
    public required string Checkpoint { get; init; }
    public required string Tokenizer { get; init; }

    /// <summary>Where the export and the adapter store are written (replaced).</summary>
    public required string WorkFolder { get; init; }

    public int Replicas { get; init; } = 3;
    public int Adapters { get; init; } = 16;

    /// <summary>Per replica: fewer than the adapters, so round-robin must evict while affinity spreads them over the fleet.</summary>
    public int MaxLoadedAdapters { get; init; } = 12;

    public int MaxBatch { get; init; } = 4;
    public int Concurrency { get; init; } = 6;

    /// <summary>Traffic of the affinity and the round-robin phases each; the kill phase takes about twice this.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(60);

    public double ZipfExponent { get; init; } = 1.1;
    public double StreamFraction { get; init; } = 0.5;
    public int MaxTokens { get; init; } = 16;
    public int Threads { get; init; } = 1;
    public int Seed { get; init; }
    public double LoadFactor { get; init; } = 1.25;

    /// <summary>The router's probe interval: a killed replica leaves the ring at its first failed request, and returns at its first good probe.</summary>
    public TimeSpan HealthInterval { get; init; } = TimeSpan.FromSeconds(1);

    public FleetOptions Validate()
    {
        if (Replicas < 2) throw new ArgumentException($"--replicas must be >= 2 (one is killed), got {Replicas}");
        if (Adapters < 1) throw new ArgumentException($"--adapters must be >= 1, got {Adapters}");
        if (MaxLoadedAdapters < MaxBatch) throw new ArgumentException($"--resident ({MaxLoadedAdapters}) must be >= --max-batch ({MaxBatch}): every row may hold its own adapter");
        if (Concurrency < 1) throw new ArgumentException($"--concurrency must be >= 1, got {Concurrency}");
        if (MaxTokens < 1) throw new ArgumentException($"--max-tokens must be >= 1, got {MaxTokens}");
        if (Duration < TimeSpan.FromSeconds(3)) throw new ArgumentException($"--duration must be >= 3 s, got {Duration.TotalSeconds}");
        return this;
    }
}
