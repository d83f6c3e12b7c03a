using System.Collections.Concurrent;

namespace Adapters.Runtime.Serving;

/// <summary>
/// A dedicated thread that reads evicted adapters back (<see cref="AdapterRegistry.AcquireAsync"/>),
/// so a miss never holds a thread-pool thread: the pool serves every request's HTTP and
/// tokenization, and on a small machine it has only a few threads. Process-wide; one thread keeps
/// reloads (a fraction of a millisecond each) from taking more than one core.
/// </summary>
internal static class AdapterReloadThread
{
    static readonly BlockingCollection<Action> Jobs = new();
    static readonly Lazy<Thread> Worker = new(Start);

    /// <summary>Runs <paramref name="reload"/> on the reload thread; the task completes (off that thread) with its result or exception.</summary>
    public static Task<T> RunAsync<T>(Func<T> reload)
    {
        _ = Worker.Value;
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Jobs.Add(() =>
        {
            try { done.SetResult(reload()); }
            catch (Exception e) { done.SetException(e); }
        });
        return done.Task;
    }

    static Thread Start()
    {
        var thread = new Thread(() =>
        {
            foreach (var job in Jobs.GetConsumingEnumerable()) job();
        })
        { IsBackground = true, Name = "adapter reload" };
        thread.Start();
        return thread;
    }
}
