using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Model;

/// <summary>
/// Rotary position embedding in the canonical layout: inside each head, the adjacent pair
/// (2i, 2i+1) at position p is rotated by the angle p · θ^(−2i/head_size) (llama2.c's run.c).
/// Holds cos/sin tables for every position up to max_seq_len. Not a module on purpose: the
/// tables are derived from the config, so they must not appear among the model's named tensors.
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    readonly Tensor _cos; // [max_seq_len, head_size / 2]
    readonly Tensor _sin; // [max_seq_len, head_size / 2]

    public RotaryEmbedding(int headSize, int maxSeqLen, double theta, ScalarType dtype, Device? device = null)
    {
        if (headSize % 2 != 0) throw new ArgumentException($"rotary head size must be even, got {headSize}");
        HeadSize = headSize;
        MaxSeqLen = maxSeqLen;
        using var scope = NewDisposeScope();
        // Angles are computed in float64 and rounded once, so float32 tables match the reference.
        var pairIndex = arange(0, headSize / 2, dtype: ScalarType.Float64);
        var frequencies = pow(theta, pairIndex * (-2.0 / headSize));                 // [head_size / 2]
        var positions = arange(0, maxSeqLen, dtype: ScalarType.Float64);              // [max_seq_len]
        var angles = outer(positions, frequencies);                                    // [max_seq_len, head_size / 2]
        _cos = angles.cos().to(dtype, device ?? CPU).DetachFromDisposeScope();
        _sin = angles.sin().to(dtype, device ?? CPU).DetachFromDisposeScope();
    }

    public int HeadSize { get; }
    public int MaxSeqLen { get; }

    /// <summary>Rotates x [batch, seq, heads, head_size] whose first row sits at <paramref name="startPos"/>.</summary>
    public Tensor Apply(Tensor x, int startPos)
    {
        using var scope = NewDisposeScope();
        long batch = x.shape[0], seq = x.shape[1], heads = x.shape[2], half = HeadSize / 2;
        if (startPos < 0 || startPos + seq > MaxSeqLen)
            throw new ArgumentOutOfRangeException(nameof(startPos), $"positions {startPos}..{startPos + seq - 1} exceed max_seq_len {MaxSeqLen}");
        // 1. the angles of these positions, broadcast over batch and heads
        var cos = _cos.narrow(0, startPos, seq).view(1, seq, 1, half);
        var sin = _sin.narrow(0, startPos, seq).view(1, seq, 1, half);
        // 2. split each head into its adjacent pairs (even, odd)
        var pairs = x.reshape(batch, seq, heads, half, 2);
        var even = pairs.select(-1, 0);
        var odd = pairs.select(-1, 1);
        // 3. rotate each pair and interleave the results back into place
        var rotated = stack([even * cos - odd * sin, even * sin + odd * cos], dim: -1);
        return rotated.reshape(batch, seq, heads, HeadSize).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
    }
}
