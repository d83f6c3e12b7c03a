using Adapters.Core.Model;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Adapters.Runtime;

/// <summary>
/// A fixed set of sequences decoded together, with one KV cache [batch, kv_heads, T, head_size]
/// per layer held as ONNX Runtime values. Each <see cref="Forward"/> takes any number of new
/// tokens per row (zero included): shorter rows are left-padded within the call, the padding is
/// masked out through attention_mask, and each row keeps its own positions. Not thread-safe;
/// borrows its <see cref="OnnxDecoderModel"/>, which must outlive it.
/// </summary>
public sealed class OnnxBatchSession : IDisposable
{
    /// <summary>Token id written at padding slots; masked out, so any valid id works (LLaMA's pad/unk is 0).</summary>
    const long PaddingToken = 0;

    readonly OnnxDecoderModel _model;
    readonly LlamaConfig _c;
    readonly RunOptions _runOptions = new();
    readonly int[] _positions;          // real tokens seen per row = position of its next token
    readonly List<long>[] _maskHistory; // attention_mask so far per row: 1 real token, 0 padding
    OrtValue[] _cache;                  // past key, past value per layer: [batch, kv_heads, CacheLength, head_size]
    bool _disposed;

    internal OnnxBatchSession(OnnxDecoderModel model, int batchSize)
    {
        if (batchSize < 1) throw new ArgumentException($"batch size must be >= 1, got {batchSize}");
        _model = model;
        _c = model.Config;
        BatchSize = batchSize;
        _positions = new int[batchSize];
        _maskHistory = Enumerable.Range(0, batchSize).Select(_ => new List<long>()).ToArray();
        _cache = AllocateCache(0);
    }

    public int BatchSize { get; }

    /// <summary>Cached slots per row, padding included (the attention_mask length so far).</summary>
    public int CacheLength { get; private set; }

    public LlamaConfig Config => _c;

    /// <summary>Tokens consumed so far by <paramref name="row"/> (the position of its next token).</summary>
    public int Position(int row) => _positions[row];

    /// <summary>
    /// Feeds each row's new tokens (one list per row, in row order) and returns the logits
    /// [batch, longest row, vocab], rows left-padded. A row may pass no tokens to sit this step out.
    /// <paramref name="extraInputs"/> feeds graph inputs that extensions added (adapter weights,
    /// position masks); they are borrowed for the call, and shaped by the caller to this step.
    /// </summary>
    /// <param name="activeLoraAdapter">
    /// An ONNX Runtime LoRA adapter whose parameters replace the graph inputs of the same names for
    /// this call (<see cref="RunOptions.AddActiveLoraAdapter"/>); borrowed, must outlive the call.
    /// </param>
    public BatchLogits Forward(IReadOnlyList<IReadOnlyList<int>> rows, IReadOnlyDictionary<string, OrtValue>? extraInputs = null,
        OrtLoraAdapter? activeLoraAdapter = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (rows.Count != BatchSize)
            throw new ArgumentException($"got {rows.Count} rows for a batch of {BatchSize}");
        int seq = rows.Max(r => r.Count);
        if (seq == 0) throw new ArgumentException("every row is empty; a forward needs at least one token");
        for (int r = 0; r < BatchSize; r++)
        {
            if (_positions[r] + rows[r].Count > _c.MaxSeqLen)
                throw new ArgumentException($"row {r}: {rows[r].Count} new tokens after {_positions[r]} would pass the model's context of {_c.MaxSeqLen}");
            foreach (int t in rows[r])
                if ((uint)t >= (uint)_c.VocabSize)
                    throw new ArgumentException($"row {r}: token id {t} is outside the vocabulary of {_c.VocabSize}");
        }

        int batch = BatchSize, total = CacheLength + seq;
        var inputIds = new long[batch * seq];
        var positionIds = new long[batch * seq];
        var newMask = new long[batch * seq];
        for (int r = 0; r < batch; r++)
        {
            int padding = seq - rows[r].Count;
            for (int i = 0; i < seq; i++)
            {
                bool real = i >= padding;
                inputIds[r * seq + i] = real ? rows[r][i - padding] : PaddingToken;
                // Padding slots are never attended; any position inside the rotary table will do.
                positionIds[r * seq + i] = real ? _positions[r] + i - padding : Math.Min(_positions[r], _c.MaxSeqLen - 1);
                newMask[r * seq + i] = real ? 1 : 0;
            }
        }
        var attentionMask = new long[batch * total];
        for (int r = 0; r < batch; r++)
        {
            _maskHistory[r].CopyTo(attentionMask, r * total);
            Array.Copy(newMask, r * seq, attentionMask, r * total + CacheLength, seq);
        }

        var logits = new float[(long)batch * seq * _c.VocabSize];
        OrtValue[] present;
        if (activeLoraAdapter is null) present = Run(_runOptions, inputIds, attentionMask, positionIds, logits, batch, seq, total, extraInputs);
        else
        {
            // Run options only borrow the adapter, and an adapter stays active for their lifetime: one per call.
            using var withAdapter = new RunOptions();
            withAdapter.AddActiveLoraAdapter(activeLoraAdapter);
            present = Run(withAdapter, inputIds, attentionMask, positionIds, logits, batch, seq, total, extraInputs);
        }

        // Commit: the run succeeded, so the present caches replace the past ones.
        DisposeAll(_cache);
        _cache = present;
        CacheLength = total;
        for (int r = 0; r < batch; r++)
        {
            _positions[r] += rows[r].Count;
            _maskHistory[r].AddRange(newMask.AsSpan(r * seq, seq));
        }
        return new BatchLogits(logits, batch, seq, _c.VocabSize);
    }

    /// <summary>One ONNX Runtime call; returns the present caches, which the caller then owns.</summary>
    OrtValue[] Run(RunOptions runOptions, long[] inputIds, long[] attentionMask, long[] positionIds, float[] logits, int batch, int seq, int total,
        IReadOnlyDictionary<string, OrtValue>? extraInputs)
    {
        IReadOnlyList<string> inputNames = _model.InputNames;
        var inputs = new List<OrtValue>(3 + _cache.Length + (extraInputs?.Count ?? 0));
        var outputs = new List<OrtValue>(1 + _cache.Length);
        bool succeeded = false;
        try
        {
            // Managed arrays are pinned and read in place; logits are written straight into the result array.
            inputs.Add(OrtValue.CreateTensorValueFromMemory(inputIds, [batch, seq]));
            inputs.Add(OrtValue.CreateTensorValueFromMemory(attentionMask, [batch, total]));
            inputs.Add(OrtValue.CreateTensorValueFromMemory(positionIds, [batch, seq]));
            inputs.AddRange(_cache);
            if (extraInputs is { Count: > 0 })
            {
                var names = new List<string>(inputNames);
                foreach (var (name, value) in extraInputs)
                {
                    names.Add(name);
                    inputs.Add(value);
                }
                inputNames = names;
            }
            outputs.Add(OrtValue.CreateTensorValueFromMemory(logits, [batch, seq, _c.VocabSize]));
            var present = AllocateCache(total);
            outputs.AddRange(present);
            _model.Session.Run(runOptions, inputNames, inputs, _model.OutputNames, outputs);
            succeeded = true;
            return present;
        }
        finally
        {
            for (int i = 0; i < Math.Min(3, inputs.Count); i++) inputs[i].Dispose(); // the cache and extra inputs are not ours to dispose here
            outputs.FirstOrDefault()?.Dispose();                                        // the logits wrapper; the array stays
            if (!succeeded) foreach (var v in outputs.Skip(1)) v.Dispose();
        }
    }

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
        var history = _maskHistory[row];
        for (int i = 0; i < history.Count; i++) history[i] = 0;
    }

    /// <summary>Leading cache slots that no row attends (what <see cref="Compact"/> would drop).</summary>
    public int LeadingDeadSlots
    {
        get
        {
            int dead = CacheLength;
            foreach (var history in _maskHistory)
            {
                int first = history.IndexOf(1);
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
        var compacted = AllocateCache(kept);
        for (int i = 0; i < _cache.Length; i++)
        {
            var source = _cache[i].GetTensorDataAsSpan<float>();
            var target = compacted[i].GetTensorMutableDataAsSpan<float>();
            // [batch, kv_heads, T, hs]: copy the last `kept` slots of every (row, head).
            for (int bh = 0; bh < BatchSize * _c.NumKvHeads; bh++)
                source.Slice((bh * CacheLength + dead) * _c.HeadSize, kept * _c.HeadSize).CopyTo(target.Slice(bh * kept * _c.HeadSize, kept * _c.HeadSize));
        }
        DisposeAll(_cache);
        _cache = compacted;
        foreach (var history in _maskHistory) history.RemoveRange(0, dead);
        CacheLength = kept;
        return dead;
    }

    OrtValue[] AllocateCache(int length)
    {
        var cache = new OrtValue[2 * _c.NumLayers];
        long[] shape = [BatchSize, _c.NumKvHeads, length, _c.HeadSize];
        try
        {
            for (int i = 0; i < cache.Length; i++)
                cache[i] = OrtValue.CreateAllocatedTensorValue(OrtAllocator.DefaultInstance, TensorElementType.Float, shape);
            return cache;
        }
        catch
        {
            DisposeAll(cache);
            throw;
        }
    }

    static void DisposeAll(OrtValue?[] values)
    {
        foreach (var v in values) v?.Dispose();
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        DisposeAll(_cache);
        _runOptions.Dispose();
    }
}
