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

    /// <summary>Every client's wait between an answer and its next request (<see cref="ServeLoadOptions.ThinkTime"/>).</summary>
    public TimeSpan ThinkTime { get; init; }

    /// <summary>Each "alone" phase, and the total time of each interleaved condition (hits only, misses).</summary>
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>Alternating windows of hits-only and store traffic, in ABBA order (H M M H H M M H …).</summary>
    public int Windows { get; init; } = 8;

    /// <summary>Each window: the two conditions share 2 × <see cref="Duration"/> between them.</summary>
    public TimeSpan WindowLength => Duration / (Windows / 2);

    public double ZipfExponent { get; init; } = 1.1;
    public int MaxTokens { get; init; } = 16;
    public int Threads { get; init; } = 1;
    public int Seed { get; init; }

    public StoreOptions Validate()
    {
        if (MaxLoadedAdapters < MaxBatch) throw new ArgumentException($"--resident ({MaxLoadedAdapters}) must be >= --max-batch ({MaxBatch})");
        if (Adapters <= MaxLoadedAdapters) throw new ArgumentException($"--adapters ({Adapters}) must exceed --resident ({MaxLoadedAdapters}), or nothing is ever evicted");
        if (Concurrency < 1) throw new ArgumentException($"--concurrency must be >= 1, got {Concurrency}"); // the sweep steps by it
        if (MaxTokens < 1) throw new ArgumentException($"--max-tokens must be >= 1, got {MaxTokens}");
        if (Duration <= TimeSpan.Zero) throw new ArgumentException("--duration must be positive");
        if (Windows < 4 || Windows % 2 != 0)
            throw new ArgumentException($"--windows must be an even number >= 4 (hits-only and misses windows in ABBA order: H M M H …), got {Windows}");
        if (WindowLength <= StoreWindow.SettleTime)
            throw new ArgumentException($"--duration / (--windows / 2) = {WindowLength.TotalSeconds:0.###} s leaves nothing of a window after its {StoreWindow.SettleTime.TotalSeconds} s settle time");
        return this;
    }
}
