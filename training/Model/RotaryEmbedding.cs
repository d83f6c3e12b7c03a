using Adapters.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Model;

/// <summary>
/// Rotary position embedding in the canonical layout: inside each head, the adjacent pair
/// (2i, 2i+1) at position p is rotated by the angle p · inv_freq[i], with inv_freq from
/// <see cref="RotaryFrequencies"/> (the one place the frequencies and their llama3/linear scaling
/// are written, shared with the ONNX export). Holds cos/sin tables for every position up to
/// max_seq_len. Not a module on purpose: the tables are derived from the config, so they must
/// not appear among the model's named tensors.
/// </summary>
public sealed class RotaryEmbedding : IDisposable
{
    readonly Tensor _cos; // [max_seq_len, head_size / 2]
    readonly Tensor _sin; // [max_seq_len, head_size / 2]

    public RotaryEmbedding(LlamaConfig config, ScalarType dtype, Device? device = null)
    {
        HeadSize = config.HeadSize;
        MaxSeqLen = config.MaxSeqLen;
        // Angles in float64, rounded once to the model dtype: float32 tables equal RotaryFrequencies.Tables.
        var (cos, sin) = RotaryFrequencies.DoubleTables(config, MaxSeqLen);
        long[] shape = [MaxSeqLen, HeadSize / 2];
        using var scope = NewDisposeScope();
        _cos = tensor(cos, shape, ScalarType.Float64).to(dtype, device ?? CPU).DetachFromDisposeScope();
        _sin = tensor(sin, shape, ScalarType.Float64).to(dtype, device ?? CPU).DetachFromDisposeScope();
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
        var rotated = stack([even * cos - odd * sin, KeptScalars.Plus(even * sin, odd * cos)], dim: -1);
        return rotated.reshape(batch, seq, heads, HeadSize).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        _cos.Dispose();
        _sin.Dispose();
    }
}
