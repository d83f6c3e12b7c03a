using Microsoft.ML.OnnxRuntime;

namespace Adapters.Runtime;

/// <summary>
/// A batch session over a GroupQueryAttention graph (<c>export --fuse gqa</c>): the KV cache is one
/// buffer per layer that every run reads and writes in place (<see cref="InPlaceKvCache"/>), and
/// row r's sequence is its slots [0, position). Rows are never padded, which is what the op's
/// per-row lengths (seqlens_k) describe: a forward either decodes (every row with tokens gives
/// one) or starts every row together (all at position 0, the same number of tokens each); a
/// prompt for one row while others have a past runs on its own (<see cref="ForwardRow"/>). A row
/// that sits a step out still computes one slot, at its next position, which its next real token
/// overwrites; nothing of it is committed.
/// </summary>
internal sealed class InPlaceCacheBatchSession : OnnxBatchSession
{
    readonly InPlaceKvCache _cache;
    readonly int[] _lengths;                     // committed slots per row (the positions), for growing the cache
    readonly TokenInputBuffers _rowTokens = new();
    long[] _maskFeed = [];                       // [batch, total] (pinned), rewritten each step

    public InPlaceCacheBatchSession(OnnxDecoderModel model, int batchSize) : base(model, batchSize)
    {
        var c = model.Config;
        _cache = model.Buffers.RentInPlaceCache(2 * c.NumLayers, batchSize, c.NumKvHeads, c.HeadSize, c.MaxSeqLen);
        _lengths = new int[batchSize];
    }

    public override int CacheLength
    {
        get
        {
            int longest = 0;
            for (int r = 0; r < BatchSize; r++) longest = Math.Max(longest, Position(r));
            return longest;
        }
    }

    public override bool RunsMixedSteps => false;

    /// <summary>The first slot a row's tokens of this step go to: its position, or for a row sitting out, where its dummy slots fit.</summary>
    int FirstSlot(int row, int count, int seq) => count > 0 ? Position(row) : Math.Min(Position(row), Config.MaxSeqLen - seq);

    private protected override int PlanStep(IReadOnlyList<IReadOnlyList<int>> rows, int seq)
    {
        if (seq > 1 && BatchSize > 1)
            for (int r = 0; r < BatchSize; r++)
            {
                if (Position(r) != 0)
                    throw new ArgumentException($"row {r} already holds {Position(r)} tokens: with this export's in-place (GroupQueryAttention) cache a " +
                        "multi-token forward of a batch starts every row at position 0; run a later prompt with ForwardRow");
                if (rows[r].Count != 0 && rows[r].Count != seq)
                    throw new ArgumentException($"row {r} has {rows[r].Count} tokens and another {seq}: with this export's in-place (GroupQueryAttention) " +
                        "cache the rows of a multi-token forward have the same length (or none); run them with ForwardRow");
            }
        int total = 0;
        for (int r = 0; r < BatchSize; r++)
        {
            total = Math.Max(total, FirstSlot(r, rows[r].Count, seq) + seq);
            _lengths[r] = Position(r);
        }
        _cache.EnsureCapacity(total, _lengths);
        return total;
    }

    /// <summary>Row r: ones over its slots up to the end of this step's tokens (its seqlens_k + 1), zeros after.</summary>
    private protected override Memory<long> AttentionMask(IReadOnlyList<IReadOnlyList<int>> rows, int seq, int total)
    {
        if (_maskFeed.Length < BatchSize * total) _maskFeed = GC.AllocateUninitializedArray<long>(Math.Max(BatchSize * total, 2 * _maskFeed.Length), pinned: true);
        for (int r = 0; r < BatchSize; r++)
        {
            var row = _maskFeed.AsSpan(r * total, total);
            int used = FirstSlot(r, rows[r].Count, seq) + seq;
            row[..used].Fill(1);
            row[used..].Clear();
        }
        return _maskFeed.AsMemory(0, BatchSize * total);
    }

    public override BatchLogits ForwardRow(int row, IReadOnlyList<int> tokens, IReadOnlyDictionary<string, OrtValue>? extraInputs = null)
    {
        ThrowIfDisposed();
        CheckRow(row);
        if (tokens.Count == 0) throw new ArgumentException("a row forward needs at least one token");
        CheckTokens(row, tokens);
        int start = Position(row), seq = tokens.Count, total = start + seq;
        for (int r = 0; r < BatchSize; r++) _lengths[r] = Position(r);
        _cache.EnsureCapacity(total, _lengths);
        _rowTokens.Shape(1, seq);
        for (int i = 0; i < seq; i++)
        {
            _rowTokens.Ids[i] = tokens[i];
            _rowTokens.Positions[i] = start + i;
        }
        if (_maskFeed.Length < total) _maskFeed = GC.AllocateUninitializedArray<long>(Math.Max(total, 2 * _maskFeed.Length), pinned: true);
        _maskFeed.AsSpan(0, total).Fill(1);
        Run(_rowTokens, _maskFeed.AsMemory(0, total), [1, total], extraInputs, null, seq, borrowed: true, out var logits, row);
        Advance(row, seq);
        return logits;
    }

    private protected override (OrtValue[] Past, OrtValue[] Present) BindCache(int total, int? row) =>
        row is { } r ? _cache.Row(r) : _cache.Batch();

    /// <summary>The op wrote the new slots in place; the base advances the positions.</summary>
    private protected override void Commit(IReadOnlyList<IReadOnlyList<int>> rows, int total) { }

    /// <summary>Slots a failed run may have written lie past every row's position: never read, overwritten later.</summary>
    private protected override void Abandon() { }

    /// <summary>The row starts again at slot 0; its old slots are overwritten as it goes.</summary>
    private protected override void OnResetRow(int row) { }

    private protected override void ReleaseCache()
    {
        _rowTokens.Dispose();
        Model.Buffers.Return(_cache);
    }
}
