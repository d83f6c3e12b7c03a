using Prometheus;

namespace Adapters.Host.Metrics;

/// <summary>
/// The Prometheus metrics of one server, in a registry of its own so several servers in one
/// process (tests) never mix counts. Names follow vLLM's where one exists, with our prefix.
/// </summary>
public sealed class HostMetrics
{
    const string Prefix = "adapters_";

    /// <summary>Latency buckets in seconds: from a tiny model's sub-millisecond step to a queued request's tens of seconds.</summary>
    static readonly double[] LatencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

    /// <summary>Rows per decode step: powers of two up to 64, past any --max-batch a CPU box runs.</summary>
    static readonly double[] BatchSizeBuckets = [1, 2, 4, 8, 16, 32, 64];

    public HostMetrics()
    {
        Registry = Prometheus.Metrics.NewCustomRegistry();
        var factory = Prometheus.Metrics.WithCustomRegistry(Registry);
        Requests = factory.CreateCounter(Prefix + "requests_total", "HTTP requests by endpoint and status code.",
            new CounterConfiguration { LabelNames = ["endpoint", "status"] });
        GeneratedTokens = factory.CreateCounter(Prefix + "generated_tokens_total", "Completion tokens generated.", new CounterConfiguration { LabelNames = ["model"] });
        PromptTokens = factory.CreateCounter(Prefix + "prompt_tokens_total", "Prompt tokens processed.", new CounterConfiguration { LabelNames = ["model"] });
        QueueDepth = factory.CreateGauge(Prefix + "num_requests_waiting", "Requests waiting for a generation slot.");
        ActiveRequests = factory.CreateGauge(Prefix + "num_requests_running", "Requests generating now (the batch size).");
        TimeToFirstToken = factory.CreateHistogram(Prefix + "time_to_first_token_seconds", "From request arrival to its first generated token.",
            new HistogramConfiguration { Buckets = LatencyBuckets });
        TimePerOutputToken = factory.CreateHistogram(Prefix + "time_per_output_token_seconds", "Between consecutive generated tokens of one request.",
            new HistogramConfiguration { Buckets = LatencyBuckets });
        AdapterLoads = factory.CreateCounter(Prefix + "adapter_loads_total", "Adapters loaded (admin calls and reloads after eviction).");
        AdapterEvictions = factory.CreateCounter(Prefix + "adapter_evictions_total", "Adapters evicted to free a slot (LRU).");
        BatchSize = factory.CreateHistogram(Prefix + "batch_size", "Rows in each decode step of the continuous-batching scheduler.",
            new HistogramConfiguration { Buckets = BatchSizeBuckets });
        CancelledRequests = factory.CreateCounter(Prefix + "scheduler_cancelled_total", "Requests the scheduler dropped because their client left or timed out.");
        Rejected = factory.CreateCounter(Prefix + "requests_rejected_total", "Requests refused by back-pressure or timeout.", new CounterConfiguration { LabelNames = ["reason"] });
        FeedRuntimeCounters(factory);
    }

    /// <summary>
    /// The managed runtime's allocation and garbage-collection totals and the process's CPU time,
    /// read at each scrape: what a tail-latency investigation asks first (a pause stops every request
    /// thread and the scheduler; a busy machine delays them all).
    /// They are the process's, shared by every server in it.
    /// </summary>
    void FeedRuntimeCounters(MetricFactory factory)
    {
        var allocated = factory.CreateCounter(Prefix + "process_allocated_bytes_total", "Managed bytes allocated by this process.");
        var paused = factory.CreateCounter(Prefix + "process_gc_pause_seconds_total", "Time this process was paused by the garbage collector.");
        var collections = factory.CreateCounter(Prefix + "process_gc_collections_total", "Garbage collections of this process, by the oldest generation collected.",
            new CounterConfiguration { LabelNames = ["generation"] });
        var cpu = factory.CreateCounter(Prefix + "process_cpu_seconds_total", "CPU time this process used, user and system, all threads.");
        Registry.AddBeforeCollectCallback(() =>
        {
            using (var self = System.Diagnostics.Process.GetCurrentProcess()) cpu.IncTo(self.TotalProcessorTime.TotalSeconds);
            allocated.IncTo(GC.GetTotalAllocatedBytes());
            paused.IncTo(GC.GetTotalPauseDuration().TotalSeconds);
            // CollectionCount(g) counts collections of generation g or older; each series here counts exactly g.
            for (int g = 0; g <= GC.MaxGeneration; g++)
                collections.WithLabels(g.ToString(System.Globalization.CultureInfo.InvariantCulture))
                    .IncTo(GC.CollectionCount(g) - (g < GC.MaxGeneration ? GC.CollectionCount(g + 1) : 0));
        });
    }

    public CollectorRegistry Registry { get; }
    public Counter Requests { get; }
    public Counter GeneratedTokens { get; }
    public Counter PromptTokens { get; }
    public Gauge QueueDepth { get; }
    public Gauge ActiveRequests { get; }
    public Histogram TimeToFirstToken { get; }
    public Histogram TimePerOutputToken { get; }
    public Counter AdapterLoads { get; }
    public Counter AdapterEvictions { get; }
    public Counter Rejected { get; }
    public Histogram BatchSize { get; }
    public Counter CancelledRequests { get; }
}
