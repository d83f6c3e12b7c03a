namespace Adapters.Runtime.Serving;

/// <summary>Limits of a <see cref="ContinuousBatchScheduler"/>.</summary>
public sealed record SchedulerOptions
{
    /// <summary>Rows decoded together; more requests wait in line.</summary>
    public int MaxBatchSize { get; init; } = 8;

    /// <summary>
    /// Cache slots no row attends any more (left by finished requests and padding) are dropped
    /// once there are this many: copying the cache costs about one step, so not every step.
    /// </summary>
    public int CompactThreshold { get; init; } = 32;

    public SchedulerOptions Validate()
    {
        if (MaxBatchSize < 1) throw new ArgumentException($"the batch size must be >= 1, got {MaxBatchSize}");
        if (CompactThreshold < 1) throw new ArgumentException($"the compaction threshold must be >= 1, got {CompactThreshold}");
        return this;
    }
}
