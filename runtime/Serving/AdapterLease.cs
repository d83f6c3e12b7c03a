namespace Adapters.Runtime.Serving;

/// <summary>
/// One user's hold on one version of an adapter: while it is not disposed, that version stays
/// in memory and is never evicted, even when the name is replaced or unloaded meanwhile.
/// Dispose exactly once per request (further calls do nothing).
/// </summary>
public sealed class AdapterLease : IDisposable
{
    readonly Action<LoadedAdapter> _release;
    readonly LoadedAdapter _adapter;
    int _disposed;

    internal AdapterLease(LoadedAdapter adapter, Action<LoadedAdapter> release)
    {
        _adapter = adapter;
        _release = release;
    }

    public LoadedAdapter Adapter
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _adapter;
        }
    }

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0) _release(_adapter);
    }
}
