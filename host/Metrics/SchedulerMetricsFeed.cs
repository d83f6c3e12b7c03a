using Adapters.Runtime.Backends;
using Adapters.Runtime.Serving;

namespace Adapters.Host.Metrics;

/// <summary>Feeds a scheduler backend's steps and adapter evictions/reloads into the host's metrics.</summary>
internal static class SchedulerMetricsFeed
{
    /// <summary>Subscribes until the returned handle is disposed.</summary>
    public static IDisposable Attach(SchedulerBackend backend, HostMetrics metrics)
    {
        var scheduler = backend.Scheduler;
        var registry = backend.Registry;
        void OnStep(SchedulerStep step) => metrics.BatchSize.Observe(step.BatchSize);
        void OnEvicted(LoadedAdapter _) => metrics.AdapterEvictions.Inc();
        void OnReloaded(LoadedAdapter _) => metrics.AdapterLoads.Inc();
        scheduler.StepCompleted += OnStep;
        registry.Evicted += OnEvicted;
        registry.Reloaded += OnReloaded;
        metrics.Registry.AddBeforeCollectCallback(() => metrics.CancelledRequests.IncTo(scheduler.Cancelled));
        return new Subscription(() =>
        {
            scheduler.StepCompleted -= OnStep;
            registry.Evicted -= OnEvicted;
            registry.Reloaded -= OnReloaded;
        });
    }

    sealed class Subscription(Action end) : IDisposable
    {
        int _ended;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _ended, 1) == 0) end();
        }
    }
}
