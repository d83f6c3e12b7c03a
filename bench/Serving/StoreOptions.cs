namespace Adapters.Bench.Serving;

/// <summary>The store benchmark: one replica, many registered adapters, few resident.</summary>
public sealed record StoreOptions
{
    public required string Checkpoint { get; init; }
    public required string Tokenizer { get; init; }
    public required string WorkFolder { get; init; }

    public int Adapters { get; init; } = 1000;
    public int MaxLoadedAdapters { get; init; } = 16;
    public int MaxBatch { get; init; } = 4;

    /// <summary>Adapter clients; one more client asks for the base model throughout.</summary>
    public int Concurrency { get; init; } = 4;

    /// <summary>Each of the four measured phases.</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    public double ZipfExponent { get; init; } = 1.1;
    public int MaxTokens { get; init; } = 16;
    public int Threads { get; init; } = 1;
    public int Seed { get; init; }

    public StoreOptions Validate()
    {
        if (MaxLoadedAdapters < MaxBatch) throw new ArgumentException($"--resident ({MaxLoadedAdapters}) must be >= --max-batch ({MaxBatch})");
        if (Adapters <= MaxLoadedAdapters) throw new ArgumentException($"--adapters ({Adapters}) must exceed --resident ({MaxLoadedAdapters}), or nothing is ever evicted");
        if (Duration <= TimeSpan.Zero) throw new ArgumentException("--duration must be positive");
        return this;
    }
}
