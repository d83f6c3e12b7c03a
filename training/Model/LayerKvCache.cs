using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Model;

/// <summary>
/// The keys and values one attention layer has seen. Storage grows by doubling up to max_seq_len
/// (a Qwen3 context is 40,960 positions: preallocating it would take 9 GB at 0.6B for a short
/// generation), and each step is written in place into it, so a long generation copies O(n)
/// rather than O(n²) bytes. Meant for inference: run cached decoding under torch.no_grad().
/// </summary>
public sealed class LayerKvCache : IDisposable
{
    /// <summary>Positions allocated at first (fewer when the context is shorter).</summary>
    public const int InitialCapacity = 256;

    Tensor _keys;   // [batch, kv_heads, capacity, head_size]
    Tensor _values; // [batch, kv_heads, capacity, head_size]

    public LayerKvCache(int batchSize, int kvHeads, int maxSeqLen, int headSize, ScalarType dtype, Device? device = null)
    {
        MaxSeqLen = maxSeqLen;
        int capacity = Math.Min(maxSeqLen, InitialCapacity);
        _keys = zeros([batchSize, kvHeads, capacity, headSize], dtype, device).DetachFromDisposeScope();
        _values = zeros([batchSize, kvHeads, capacity, headSize], dtype, device).DetachFromDisposeScope();
    }

    public long MaxSeqLen { get; }

    /// <summary>Positions the storage holds now (grows on demand up to <see cref="MaxSeqLen"/>).</summary>
    public long Capacity => _keys.shape[2];

    /// <summary>
    /// Stores keys/values [batch, kv_heads, seq, head_size] at positions startPos.. and returns
    /// views of every position so far, [batch, kv_heads, startPos + seq, head_size], valid until the next Append.
    /// </summary>
    public (Tensor Keys, Tensor Values) Append(Tensor keys, Tensor values, int startPos)
    {
        long seq = keys.shape[2];
        if (startPos < 0 || startPos + seq > MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(startPos), $"positions {startPos}..{startPos + seq - 1} do not fit a cache of {MaxSeqLen} positions");
        if (keys.shape[0] != _keys.shape[0])
            throw new ArgumentException($"batch of {keys.shape[0]} rows does not match the cache's {_keys.shape[0]} rows");
        if (startPos + seq > Capacity) Grow(startPos, startPos + seq);
        using (var slot = _keys.narrow(2, startPos, seq)) slot.copy_(keys);
        using (var slot = _values.narrow(2, startPos, seq)) slot.copy_(values);
        return (_keys.narrow(2, 0, startPos + seq), _values.narrow(2, 0, startPos + seq));
    }

    /// <summary>Doubles the storage until it holds <paramref name="needed"/> positions, keeping the first <paramref name="filled"/>.</summary>
    void Grow(long filled, long needed)
    {
        long capacity = Capacity;
        while (capacity < needed) capacity = Math.Min(MaxSeqLen, capacity * 2);
        _keys = Regrown(_keys, filled, capacity);
        _values = Regrown(_values, filled, capacity);
    }

    static Tensor Regrown(Tensor old, long filled, long capacity)
    {
        var grown = zeros([old.shape[0], old.shape[1], capacity, old.shape[3]], old.dtype, old.device).DetachFromDisposeScope();
        if (filled > 0)
            using (var to = grown.narrow(2, 0, filled))
            using (var from = old.narrow(2, 0, filled))
                to.copy_(from);
        old.Dispose();
        return grown;
    }

    public void Dispose()
    {
        _keys.Dispose();
        _values.Dispose();
    }
}
