using Microsoft.ML.OnnxRuntime;

namespace Adapters.Runtime;

/// <summary>
/// A batch session over a standard-op graph whose KV cache [batch, kv_heads, T, head_size] grows by
/// Concat each run: shorter rows are left-padded within the call, the padding is masked out through
/// attention_mask (and stays in the cache, masked, until <see cref="Compact"/> drops it), and any
/// mix of prompts and decode steps runs as one forward.
/// </summary>
/// <remarks>
/// The caches alternate between two native buffer sets (<see cref="KvCacheBuffers"/>): each run reads
/// the past set and writes its present into the other, so a step allocates and frees no cache memory.
/// </remarks>
internal sealed class ConcatCacheBatchSession : OnnxBatchSession
{
    /// <summary>Attention-mask slots a row buffer starts with; buffers double when a forward needs more.</summary>
    const int InitialMaskCapacity = 64;

    readonly long[][] _mask;            // attention_mask per row: [0, CacheLength) so far (1 real token, 0 padding); a forward writes its new slots after those
    KvCacheBuffers _cache;              // past key, past value per layer: [batch, kv_heads, CacheLength, head_size]
    KvCacheBuffers _spare;              // the other set: the next run writes its present caches (or Compact its copy) here, then they swap
    long[] _maskFeed = [];              // [batch, total] when batch > 1 (pinned); row 0's own buffer at batch 1
    int _cacheLength;

    public ConcatCacheBatchSession(OnnxDecoderModel model, int batchSize) : base(model, batchSize)
    {
        var c = model.Config;
        _mask = new long[batchSize][];
        for (int r = 0; r < batchSize; r++) _mask[r] = NewMaskBuffer(InitialMaskCapacity);
        _cache = model.Buffers.RentCache(2 * c.NumLayers, batchSize, c.NumKvHeads, c.HeadSize);
        _spare = model.Buffers.RentCache(2 * c.NumLayers, batchSize, c.NumKvHeads, c.HeadSize);
        _cache.Wrap(0);
    }

    public override int CacheLength => _cacheLength;

    public override bool RunsMixedSteps => true;

    private protected override int PlanStep(IReadOnlyList<IReadOnlyList<int>> rows, int seq) => _cacheLength + seq;

    private protected override Memory<long> AttentionMask(IReadOnlyList<IReadOnlyList<int>> rows, int seq, int total)
    {
        for (int r = 0; r < BatchSize; r++)
        {
            int padding = seq - rows[r].Count;
            var mask = MaskRow(r, total);
            // After the committed slots: becomes history only if the run succeeds.
            for (int i = 0; i < seq; i++) mask[_cacheLength + i] = i >= padding ? 1 : 0;
        }
        // Batch 1 feeds row 0's mask buffer as it is; larger batches gather the rows into [batch, total].
        if (BatchSize == 1) return _mask[0].AsMemory(0, total);
        if (_maskFeed.Length < BatchSize * total) _maskFeed = GC.AllocateUninitializedArray<long>(Grow(_maskFeed.Length, BatchSize * total), pinned: true);
        for (int r = 0; r < BatchSize; r++) _mask[r].AsSpan(0, total).CopyTo(_maskFeed.AsSpan(r * total, total));
        return _maskFeed.AsMemory(0, BatchSize * total);
    }

    private protected override (OrtValue[] Past, OrtValue[] Present) BindCache(int total, int? row) => (_cache.Values, _spare.Wrap(total));

    private protected override void Commit(IReadOnlyList<IReadOnlyList<int>> rows, int total)
    {
        // The present caches replace the past ones (whose memory takes the next run's presents).
        SwapCaches();
        _cacheLength = total;
    }

    private protected override void Abandon() => _spare.ReleaseViews();

    /// <summary>Row <paramref name="r"/>'s mask buffer, grown (history kept) to hold <paramref name="total"/> slots.</summary>
    long[] MaskRow(int r, int total)
    {
        var mask = _mask[r];
        if (mask.Length >= total) return mask;
        var grown = NewMaskBuffer(Grow(mask.Length, total));
        mask.AsSpan(0, _cacheLength).CopyTo(grown);
        return _mask[r] = grown;
    }

    static long[] NewMaskBuffer(int capacity) => GC.AllocateUninitializedArray<long>(capacity, pinned: true);

    static int Grow(int capacity, int needed) => Math.Max(needed, Math.Max(InitialMaskCapacity, 2 * capacity));

    /// <summary>The row's cached slots are masked out from now on; the cache keeps its length until <see cref="Compact"/>.</summary>
    private protected override void OnResetRow(int row) => _mask[row].AsSpan(0, _cacheLength).Clear();

    public override int LeadingDeadSlots
    {
        get
        {
            int dead = _cacheLength;
            foreach (var mask in _mask)
            {
                int first = mask.AsSpan(0, _cacheLength).IndexOf(1L);
                dead = Math.Min(dead, first < 0 ? _cacheLength : first);
            }
            return dead;
        }
    }

    /// <summary>Drops the leading slots that every row masks out (left by finished or reset rows and by left padding).</summary>
    public override int Compact()
    {
        ThrowIfDisposed();
        int dead = LeadingDeadSlots;
        if (dead == 0) return 0;
        int kept = _cacheLength - dead, headSize = Config.HeadSize;
        var past = _cache.Values;
        _spare.Trim(kept);
        var compacted = _spare.Wrap(kept);
        for (int i = 0; i < past.Length; i++)
        {
            var source = past[i].GetTensorDataAsSpan<float>();
            var target = compacted[i].GetTensorMutableDataAsSpan<float>();
            // [batch, kv_heads, T, hs]: copy the last `kept` slots of every (row, head).
            for (int bh = 0; bh < BatchSize * Config.NumKvHeads; bh++)
                source.Slice((bh * _cacheLength + dead) * headSize, kept * headSize).CopyTo(target.Slice(bh * kept * headSize, kept * headSize));
        }
        SwapCaches();
        _spare.Trim(kept); // the old cache's memory, sized for the longer cache
        foreach (var mask in _mask) mask.AsSpan(dead, kept).CopyTo(mask);
        _cacheLength = kept;
        return dead;
    }

    /// <summary>The spare set (just written) becomes the cache; the old cache's views go and its memory becomes the spare.</summary>
    void SwapCaches()
    {
        _cache.ReleaseViews();
        (_cache, _spare) = (_spare, _cache);
    }

    private protected override void ReleaseCache()
    {
        Model.Buffers.Return(_cache);
        Model.Buffers.Return(_spare);
    }
}
