using Adapters.Host.Metrics;

namespace Adapters.Host.Completions;

/// <summary>
/// Bounded admission: at most maxRunning requests generate, at most maxWaiting wait for a slot,
/// and anything beyond is refused at once (429) instead of piling up memory and latency.
/// </summary>
internal sealed class AdmissionControl(int maxRunning, int maxWaiting, HostMetrics metrics)
{
    readonly SemaphoreSlim _running = new(maxRunning, maxRunning);
    static readonly TimeSpan IdlePollInterval = TimeSpan.FromMilliseconds(10);

    readonly int _maxRunning = maxRunning;
    readonly HostMetrics _metrics = metrics;
    int _waiting;

    /// <summary>A slot, or null when the queue is full. Waiting ends early with <paramref name="cancel"/>.</summary>
    public async Task<IDisposable?> TryEnterAsync(CancellationToken cancel)
    {
        if (!_running.Wait(0))
        {
            if (Interlocked.Increment(ref _waiting) > maxWaiting)
            {
                Interlocked.Decrement(ref _waiting);
                return null;
            }
            _metrics.QueueDepth.Inc();
            try { await _running.WaitAsync(cancel); }
            finally
            {
                Interlocked.Decrement(ref _waiting);
                _metrics.QueueDepth.Dec();
            }
        }
        _metrics.ActiveRequests.Inc();
        return new Slot(this);
    }

    /// <summary>Waits until no slot is held (shutdown), polling: it runs once per process lifetime.</summary>
    public async Task<bool> WaitIdleAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (_running.CurrentCount < _maxRunning)
        {
            if (DateTime.UtcNow >= deadline) return false;
            await Task.Delay(IdlePollInterval);
        }
        return true;
    }

    sealed class Slot(AdmissionControl owner) : IDisposable
    {
        int _released;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) != 0) return;
            owner._metrics.ActiveRequests.Dec();
            owner._running.Release();
        }
    }
}
