namespace Adapters.Runtime;

/// <summary>
/// The large buffers a model's batch sessions leave behind for the next session: key/value cache
/// sets (native) and pinned logits buffers. A session per generation (CLI generate, the bench,
/// session-per-request serving) otherwise allocated a fresh [batch, prompt, vocab] pinned logits
/// array and two cache sets per generation; the pinned arrays come from the pinned object heap,
/// whose budget triggers a full (gen 2) collection about every other generation — pauses of
/// several milliseconds in the middle of a decode, the largest share of the batch-1 tail measured
/// in issue 17. Holds at most <see cref="MaxKept"/> of each kind; thread-safe.
/// </summary>
internal sealed class SessionBufferPool : IDisposable
{
    /// <summary>Buffers of each kind kept for reuse; more are freed (a few sessions live at once at most).</summary>
    const int MaxKept = 4;

    readonly Lock _lock = new();
    readonly List<KvCacheBuffers> _caches = [];
    readonly List<InPlaceKvCache> _inPlaceCaches = [];
    readonly List<float[]> _logits = [];
    bool _disposed;

    /// <summary>A cache set of this layout: a returned one (its memory kept) or a new one.</summary>
    public KvCacheBuffers RentCache(int tensors, int batch, int kvHeads, int headSize)
    {
        lock (_lock)
        {
            int i = _caches.FindIndex(c => c.Matches(tensors, batch, kvHeads, headSize));
            if (i >= 0)
            {
                var cache = _caches[i];
                _caches.RemoveAt(i);
                return cache;
            }
        }
        return new KvCacheBuffers(tensors, batch, kvHeads, headSize);
    }

    public void Return(KvCacheBuffers cache)
    {
        cache.ReleaseViews();
        lock (_lock)
        {
            if (!_disposed && _caches.Count < MaxKept)
            {
                _caches.Add(cache);
                return;
            }
        }
        cache.Dispose();
    }

    /// <summary>An in-place cache of this layout: a returned one (its memory and capacity kept) or a new one.</summary>
    public InPlaceKvCache RentInPlaceCache(int tensors, int batch, int kvHeads, int headSize, int maxCapacity)
    {
        lock (_lock)
        {
            int i = _inPlaceCaches.FindIndex(c => c.Matches(tensors, batch, kvHeads, headSize, maxCapacity));
            if (i >= 0)
            {
                var cache = _inPlaceCaches[i];
                _inPlaceCaches.RemoveAt(i);
                return cache;
            }
        }
        return new InPlaceKvCache(tensors, batch, kvHeads, headSize, maxCapacity);
    }

    public void Return(InPlaceKvCache cache)
    {
        lock (_lock)
        {
            if (!_disposed && _inPlaceCaches.Count < MaxKept)
            {
                _inPlaceCaches.Add(cache);
                return;
            }
        }
        cache.Dispose();
    }

    /// <summary>A pinned buffer of at least <paramref name="length"/> floats (contents undefined): the smallest returned one that fits, or a new one.</summary>
    public float[] RentLogits(int length)
    {
        lock (_lock)
        {
            int best = -1;
            for (int i = 0; i < _logits.Count; i++)
                if (_logits[i].Length >= length && (best < 0 || _logits[i].Length < _logits[best].Length)) best = i;
            if (best >= 0)
            {
                var buffer = _logits[best];
                _logits.RemoveAt(best);
                return buffer;
            }
        }
        return GC.AllocateUninitializedArray<float>(length, pinned: true);
    }

    public void Return(float[] logits)
    {
        if (logits.Length == 0) return;
        lock (_lock)
        {
            if (_disposed) return;
            if (_logits.Count >= MaxKept)
            {
                // Keep the largest: a later prefill needs the room, and smaller ones fit inside it.
                int smallest = 0;
                for (int i = 1; i < _logits.Count; i++) if (_logits[i].Length < _logits[smallest].Length) smallest = i;
                if (_logits[smallest].Length >= logits.Length) return;
                _logits.RemoveAt(smallest);
            }
            _logits.Add(logits);
        }
    }

    public void Dispose()
    {
        List<IDisposable> caches;
        lock (_lock)
        {
            if (_disposed) return;
            _disposed = true;
            caches = [.. _caches, .. _inPlaceCaches];
            _caches.Clear();
            _inPlaceCaches.Clear();
            _logits.Clear();
        }
        foreach (var c in caches) c.Dispose();
    }
}
