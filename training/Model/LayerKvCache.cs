using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Model;

/// <summary>
/// The keys and values one attention layer has seen, preallocated to max_seq_len.
/// Preallocation (rather than growing by cat) writes each step in place, so a long generation
/// copies O(n) instead of O(n²) bytes and never reallocates; the memory is the same as llama2.c's
/// run state. Meant for inference: run cached decoding under torch.no_grad().
/// </summary>
public sealed class LayerKvCache : IDisposable
{
    readonly Tensor _keys;   // [batch, kv_heads, max_seq_len, head_size]
    readonly Tensor _values; // [batch, kv_heads, max_seq_len, head_size]

    public LayerKvCache(int batchSize, int kvHeads, int maxSeqLen, int headSize, ScalarType dtype, Device? device = null)
    {
        _keys = zeros([batchSize, kvHeads, maxSeqLen, headSize], dtype, device).DetachFromDisposeScope();
        _values = zeros([batchSize, kvHeads, maxSeqLen, headSize], dtype, device).DetachFromDisposeScope();
    }

    public long MaxSeqLen => _keys.shape[2];

    /// <summary>
    /// Stores keys/values [batch, kv_heads, seq, head_size] at positions startPos.. and returns
    /// views of every position so far, [batch, kv_heads, startPos + seq, head_size].
    /// </summary>
    public (Tensor Keys, Tensor Values) Append(Tensor keys, Tensor values, int startPos)
    {
        long seq = keys.shape[2];
        if (startPos < 0 || startPos + seq > MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(startPos), $"positions {startPos}..{startPos + seq - 1} do not fit a cache of {MaxSeqLen} positions");
        if (keys.shape[0] != _keys.shape[0])
            throw new ArgumentException($"batch of {keys.shape[0]} rows does not match the cache's {_keys.shape[0]} rows");
        using (var slot = _keys.narrow(2, startPos, seq)) slot.copy_(keys);
        using (var slot = _values.narrow(2, startPos, seq)) slot.copy_(values);
        return (_keys.narrow(2, 0, startPos + seq), _values.narrow(2, 0, startPos + seq));
    }

    public void Dispose()
    {
        _keys.Dispose();
        _values.Dispose();
    }
}
