using Adapters.Core.Model;
using Microsoft.ML.OnnxRuntime;

namespace Adapters.Runtime;

/// <summary>
/// A fixed set of sequences decoded together, with one KV cache [batch, kv_heads, T, head_size]
/// per layer held as ONNX Runtime values. Each <see cref="Forward"/> takes any number of new
/// tokens per row (zero included): shorter rows are left-padded within the call, the padding is
/// masked out through attention_mask, and each row keeps its own positions. Not thread-safe;
/// borrows its <see cref="OnnxDecoderModel"/>, which must outlive it.
/// </summary>
/// <remarks>
/// The per-step host work is kept off the garbage collector: input ids, positions and the
/// attention mask live in buffers the session reuses (wrapped for ONNX Runtime once per shape),
/// <see cref="ForwardBorrowed"/> writes logits into a reused buffer instead of a new
/// [batch·tokens·vocab] array (128 KB at batch 1 with a 32000-token vocabulary: one Large
/// Object Heap allocation per step, and the gen-2 collections that follow), and the KV caches
/// alternate between two native buffer sets (<see cref="KvCacheBuffers"/>) instead of being
/// allocated and freed every step. The logits buffer only grows (a prefill's room serves the
/// decode steps after it), and both it and the cache sets come from the model's
/// <see cref="SessionBufferPool"/> and go back there on disposal, so a session per generation
/// allocates none of them either.
/// </remarks>
public sealed class OnnxBatchSession : IDisposable
{
    /// <summary>Token id written at padding slots; masked out, so any valid id works (LLaMA's pad/unk is 0).</summary>
    const long PaddingToken = 0;

    /// <summary>Attention-mask slots a row buffer starts with; buffers double when a forward needs more.</summary>
    const int InitialMaskCapacity = 64;

    readonly OnnxDecoderModel _model;
    readonly LlamaConfig _c;
    readonly RunOptions _runOptions = new();
    readonly int[] _positions;          // real tokens seen per row = position of its next token
    readonly long[][] _mask;            // attention_mask per row: [0, CacheLength) so far (1 real token, 0 padding); a forward writes its new slots after those
    KvCacheBuffers _cache;              // past key, past value per layer: [batch, kv_heads, CacheLength, head_size]
    KvCacheBuffers _spare;              // the other set: the next run writes its present caches (or Compact its copy) here, then they swap

    // Reused per-step buffers and their ONNX Runtime wrappers.
    readonly string[] _outputNames;
    string[] _inputNames;               // the model's inputs, then the extra inputs of the last call
    OrtValue[] _inputValues = [];
    readonly OrtValue[] _outputValues;
    long[] _inputIds = [], _positionIds = [];     // [batch, seq] for the last seq (pinned)
    OrtValue? _inputIdsValue, _positionIdsValue;  // their wrappers, [batch, seq]
    int _wrappedSeq;                               // the seq they are shaped for; 0 = none
    long[] _maskFeed = [];                         // [batch, total] when batch > 1 (pinned); row 0's own buffer at batch 1
    readonly LogitsLoan _loan = new();
    float[] _borrowed = [];                        // ForwardBorrowed's logits: [batch, seq, vocab] at its start (pinned, from the pool, grow-only)
    OrtValue? _borrowedValue;                      // its wrapper, shaped [batch, _borrowedSeq, vocab]
    int _borrowedSeq;
    bool _disposed;

    internal OnnxBatchSession(OnnxDecoderModel model, int batchSize)
    {
        if (batchSize < 1) throw new ArgumentException($"batch size must be >= 1, got {batchSize}");
        _model = model;
        _c = model.Config;
        BatchSize = batchSize;
        _positions = new int[batchSize];
        _mask = new long[batchSize][];
        for (int r = 0; r < batchSize; r++) _mask[r] = NewMaskBuffer(InitialMaskCapacity);
        _inputNames = [.. model.InputNames];
        _outputNames = [.. model.OutputNames];
        _outputValues = new OrtValue[_outputNames.Length];
        _cache = model.Buffers.RentCache(2 * _c.NumLayers, batchSize, _c.NumKvHeads, _c.HeadSize);
        _spare = model.Buffers.RentCache(2 * _c.NumLayers, batchSize, _c.NumKvHeads, _c.HeadSize);
        _cache.Wrap(0);
    }

    public int BatchSize { get; }

    /// <summary>Cached slots per row, padding included (the attention_mask length so far).</summary>
    public int CacheLength { get; private set; }

    public LlamaConfig Config => _c;

    /// <summary>Tokens consumed so far by <paramref name="row"/> (the position of its next token).</summary>
    public int Position(int row) => _positions[row];

    /// <summary>
    /// Feeds each row's new tokens (one list per row, in row order) and returns the logits
    /// [batch, longest row, vocab], rows left-padded, in a new array the caller keeps. A row may
    /// pass no tokens to sit this step out.
    /// <paramref name="extraInputs"/> feeds graph inputs that extensions added (adapter weights,
    /// position masks); they are borrowed for the call, and shaped by the caller to this step.
    /// </summary>
    /// <param name="activeLoraAdapter">
    /// An ONNX Runtime LoRA adapter whose parameters replace the graph inputs of the same names for
    /// this call (<see cref="RunOptions.AddActiveLoraAdapter"/>); borrowed, must outlive the call.
    /// </param>
    public BatchLogits Forward(IReadOnlyList<IReadOnlyList<int>> rows, IReadOnlyDictionary<string, OrtValue>? extraInputs = null,
        OrtLoraAdapter? activeLoraAdapter = null) =>
        Forward(rows, extraInputs, activeLoraAdapter, borrowed: false);

    /// <summary>
    /// <see cref="Forward"/> for decode loops: the logits are written into a buffer this session
    /// reuses, so a step allocates no logits array. They are valid until this session's next
    /// <see cref="ForwardBorrowed"/> or its disposal; after that the returned
    /// <see cref="BatchLogits"/> throws instead of showing another step's values. Sample from
    /// them (or copy them) before the next step.
    /// </summary>
    public BatchLogits ForwardBorrowed(IReadOnlyList<IReadOnlyList<int>> rows, IReadOnlyDictionary<string, OrtValue>? extraInputs = null,
        OrtLoraAdapter? activeLoraAdapter = null) =>
        Forward(rows, extraInputs, activeLoraAdapter, borrowed: true);

    BatchLogits Forward(IReadOnlyList<IReadOnlyList<int>> rows, IReadOnlyDictionary<string, OrtValue>? extraInputs, OrtLoraAdapter? activeLoraAdapter, bool borrowed)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (rows.Count != BatchSize)
            throw new ArgumentException($"got {rows.Count} rows for a batch of {BatchSize}");
        int seq = 0;
        for (int r = 0; r < BatchSize; r++) seq = Math.Max(seq, rows[r].Count);
        if (seq == 0) throw new ArgumentException("every row is empty; a forward needs at least one token");
        for (int r = 0; r < BatchSize; r++)
        {
            var row = rows[r];
            if (_positions[r] + row.Count > _c.MaxSeqLen)
                throw new ArgumentException($"row {r}: {row.Count} new tokens after {_positions[r]} would pass the model's context of {_c.MaxSeqLen}");
            for (int i = 0; i < row.Count; i++)
            {
                int t = row[i];
                if ((uint)t >= (uint)_c.VocabSize)
                    throw new ArgumentException($"row {r}: token id {t} is outside the vocabulary of {_c.VocabSize}");
            }
        }

        int batch = BatchSize, total = CacheLength + seq;
        WrapTokenInputs(seq);
        for (int r = 0; r < batch; r++)
        {
            var row = rows[r];
            int padding = seq - row.Count;
            var mask = MaskRow(r, total);
            for (int i = 0; i < seq; i++)
            {
                bool real = i >= padding;
                _inputIds[r * seq + i] = real ? row[i - padding] : PaddingToken;
                // Padding slots are never attended; any position inside the rotary table will do.
                _positionIds[r * seq + i] = real ? _positions[r] + i - padding : Math.Min(_positions[r], _c.MaxSeqLen - 1);
                mask[CacheLength + i] = real ? 1 : 0; // after the committed slots: becomes history only if the run succeeds
            }
        }

        long logitsLength = (long)batch * seq * _c.VocabSize;
        float[] logits;
        OrtValue? ownedLogitsValue = null;
        if (borrowed)
        {
            _loan.Revoke(); // the buffer is about to be overwritten, whatever the run's outcome
            if (_borrowed.LongLength < logitsLength)
            {
                _borrowedValue?.Dispose();
                _borrowedValue = null;
                _model.Buffers.Return(_borrowed);
                _borrowed = _model.Buffers.RentLogits(checked((int)logitsLength));
            }
            if (_borrowedValue is null || _borrowedSeq != seq)
            {
                _borrowedValue?.Dispose();
                _borrowedValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _borrowed.AsMemory(0, (int)logitsLength), [batch, seq, _c.VocabSize]);
                _borrowedSeq = seq;
            }
            logits = _borrowed;
        }
        else
        {
            logits = new float[logitsLength];
            // Managed arrays are pinned and read in place; logits are written straight into the result array.
            ownedLogitsValue = OrtValue.CreateTensorValueFromMemory(logits, [batch, seq, _c.VocabSize]);
        }

        try
        {
            if (activeLoraAdapter is null) Run(_runOptions, total, extraInputs, ownedLogitsValue ?? _borrowedValue!);
            else
            {
                // Run options only borrow the adapter, and an adapter stays active for their lifetime: one per call.
                using var withAdapter = new RunOptions();
                withAdapter.AddActiveLoraAdapter(activeLoraAdapter);
                Run(withAdapter, total, extraInputs, ownedLogitsValue ?? _borrowedValue!);
            }
        }
        finally
        {
            ownedLogitsValue?.Dispose(); // the wrapper; the array stays
        }

        // Commit: the run succeeded, so the present caches replace the past ones (whose memory takes the next run's presents).
        SwapCaches();
        CacheLength = total;
        for (int r = 0; r < batch; r++) _positions[r] += rows[r].Count;
        return borrowed ? new BatchLogits(logits, batch, seq, _c.VocabSize, _loan) : new BatchLogits(logits, batch, seq, _c.VocabSize);
    }

    /// <summary>One ONNX Runtime call; on success <see cref="_spare"/> holds the present caches.</summary>
    void Run(RunOptions runOptions, int total, IReadOnlyDictionary<string, OrtValue>? extraInputs, OrtValue logits)
    {
        var past = _cache.Values;
        int batch = BatchSize, fixedInputs = 3 + past.Length, extras = extraInputs?.Count ?? 0;
        if (_inputValues.Length != fixedInputs + extras) _inputValues = new OrtValue[fixedInputs + extras];
        if (_inputNames.Length != fixedInputs + extras) _inputNames = [.. _model.InputNames, .. new string[extras]];
        if (extras > 0)
        {
            int i = fixedInputs;
            foreach (var (name, value) in extraInputs!)
            {
                _inputNames[i] = name;
                _inputValues[i++] = value;
            }
        }

        // Batch 1 feeds row 0's mask buffer as it is; larger batches gather the rows into [batch, total].
        Memory<long> attentionMask;
        if (batch == 1) attentionMask = _mask[0].AsMemory(0, total);
        else
        {
            if (_maskFeed.Length < batch * total) _maskFeed = GC.AllocateUninitializedArray<long>(Grow(_maskFeed.Length, batch * total), pinned: true);
            for (int r = 0; r < batch; r++) _mask[r].AsSpan(0, total).CopyTo(_maskFeed.AsSpan(r * total, total));
            attentionMask = _maskFeed.AsMemory(0, batch * total);
        }

        using var attentionMaskValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, attentionMask, [batch, total]);
        _inputValues[0] = _inputIdsValue!;
        _inputValues[1] = attentionMaskValue;
        _inputValues[2] = _positionIdsValue!;
        Array.Copy(past, 0, _inputValues, 3, past.Length);

        var present = _spare.Wrap(total);
        try
        {
            _outputValues[0] = logits;
            Array.Copy(present, 0, _outputValues, 1, present.Length);
            _model.Session.Run(runOptions, _inputNames, _inputValues, _outputNames, _outputValues);
        }
        catch
        {
            _spare.ReleaseViews();
            throw;
        }
        finally
        {
            // Nothing borrowed stays referenced between calls (the cache and extra inputs are not ours to dispose here).
            Array.Clear(_inputValues);
            Array.Clear(_outputValues);
        }
    }

    /// <summary>Shapes the reused input_ids / position_ids buffers and their wrappers to [batch, seq].</summary>
    void WrapTokenInputs(int seq)
    {
        if (_wrappedSeq == seq) return;
        _inputIdsValue?.Dispose();
        _positionIdsValue?.Dispose();
        _inputIdsValue = _positionIdsValue = null;
        _wrappedSeq = 0;
        int length = BatchSize * seq;
        if (_inputIds.Length < length)
        {
            _inputIds = GC.AllocateUninitializedArray<long>(length, pinned: true);
            _positionIds = GC.AllocateUninitializedArray<long>(length, pinned: true);
        }
        _inputIdsValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _inputIds.AsMemory(0, length), [BatchSize, seq]);
        _positionIdsValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _positionIds.AsMemory(0, length), [BatchSize, seq]);
        _wrappedSeq = seq;
    }

    /// <summary>Row <paramref name="r"/>'s mask buffer, grown (history kept) to hold <paramref name="total"/> slots.</summary>
    long[] MaskRow(int r, int total)
    {
        var mask = _mask[r];
        if (mask.Length >= total) return mask;
        var grown = NewMaskBuffer(Grow(mask.Length, total));
        mask.AsSpan(0, CacheLength).CopyTo(grown);
        return _mask[r] = grown;
    }

    static long[] NewMaskBuffer(int capacity) => GC.AllocateUninitializedArray<long>(capacity, pinned: true);

    static int Grow(int capacity, int needed) => Math.Max(needed, Math.Max(InitialMaskCapacity, 2 * capacity));

    /// <summary>
    /// Frees <paramref name="row"/> for a new sequence: its cached slots are masked out from now
    /// on and its position restarts at 0. The cache keeps its length; <see cref="Compact"/> drops
    /// slots no row attends any more.
    /// </summary>
    public void ResetRow(int row)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if ((uint)row >= (uint)BatchSize) throw new ArgumentOutOfRangeException(nameof(row), $"row {row} is outside the batch of {BatchSize}");
        _positions[row] = 0;
        _mask[row].AsSpan(0, CacheLength).Clear();
    }

    /// <summary>Leading cache slots that no row attends (what <see cref="Compact"/> would drop).</summary>
    public int LeadingDeadSlots
    {
        get
        {
            int dead = CacheLength;
            foreach (var mask in _mask)
            {
                int first = mask.AsSpan(0, CacheLength).IndexOf(1L);
                dead = Math.Min(dead, first < 0 ? CacheLength : first);
            }
            return dead;
        }
    }

    /// <summary>
    /// Drops the leading cache slots that every row masks out (left by finished or reset rows and
    /// by left padding), so attention cost follows the live sequences, not the session's age.
    /// Exact: those slots have no effect on any row. Returns the number of slots dropped.
    /// </summary>
    public int Compact()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        int dead = LeadingDeadSlots;
        if (dead == 0) return 0;
        int kept = CacheLength - dead;
        var past = _cache.Values;
        _spare.Trim(kept);
        var compacted = _spare.Wrap(kept);
        for (int i = 0; i < past.Length; i++)
        {
            var source = past[i].GetTensorDataAsSpan<float>();
            var target = compacted[i].GetTensorMutableDataAsSpan<float>();
            // [batch, kv_heads, T, hs]: copy the last `kept` slots of every (row, head).
            for (int bh = 0; bh < BatchSize * _c.NumKvHeads; bh++)
                source.Slice((bh * CacheLength + dead) * _c.HeadSize, kept * _c.HeadSize).CopyTo(target.Slice(bh * kept * _c.HeadSize, kept * _c.HeadSize));
        }
        SwapCaches();
        _spare.Trim(kept); // the old cache's memory, sized for the longer cache
        foreach (var mask in _mask) mask.AsSpan(dead, kept).CopyTo(mask);
        CacheLength = kept;
        return dead;
    }

    /// <summary>The spare set (just written) becomes the cache; the old cache's views go and its memory becomes the spare.</summary>
    void SwapCaches()
    {
        _cache.ReleaseViews();
        (_cache, _spare) = (_spare, _cache);
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        _loan.Revoke();
        _inputIdsValue?.Dispose();
        _positionIdsValue?.Dispose();
        _borrowedValue?.Dispose();
        _model.Buffers.Return(_cache);
        _model.Buffers.Return(_spare);
        _model.Buffers.Return(_borrowed);
        _runOptions.Dispose();
    }
}
