using Adapters.Core.Adapters;
using static TorchSharp.torch;

namespace Adapters.Training.Methods.Reft;

/// <summary>
/// Which intervention applies at each prompt position of each row of a batch, built from the
/// rows' prompt lengths with <see cref="PositionSpec.Assign"/>: groups [batch, longest prompt]
/// int64 holding 0 (none), 1 (prefix), 2 (suffix). A forward whose first row is at absolute
/// position startPos reads columns startPos.. of it; positions past a row's prompt (completion
/// tokens, right padding, decode steps) read 0, so they are never edited.
/// </summary>
public sealed class ReftPositionMask : IDisposable
{
    readonly Tensor _groups; // [batch, longest prompt] int64

    public ReftPositionMask(PositionSpec spec, IReadOnlyList<int> promptLengths, Device device)
    {
        if (promptLengths.Count == 0) throw new ArgumentException("a batch needs at least one prompt length");
        int width = 0;
        foreach (int length in promptLengths)
        {
            if (length < 0) throw new ArgumentException($"prompt lengths must be >= 0, got {length}");
            width = Math.Max(width, length);
        }
        var flat = new long[promptLengths.Count * width];
        for (int row = 0; row < promptLengths.Count; row++)
        {
            var assigned = spec.Assign(promptLengths[row]);
            for (int p = 0; p < assigned.Length; p++) flat[row * width + p] = assigned[p];
        }
        BatchSize = promptLengths.Count;
        Width = width;
        _groups = tensor(flat, [BatchSize, width], device: device).DetachFromDisposeScope();
    }

    public int BatchSize { get; }

    /// <summary>The longest prompt: positions from here on are never edited.</summary>
    public int Width { get; }

    /// <summary>Groups [batch, seq] for positions startPos..startPos+seq−1, or null when none of them is a prompt position.</summary>
    public Tensor? Slice(int startPos, long seq)
    {
        if (startPos >= Width) return null;
        long inside = Math.Min(seq, Width - startPos);
        var part = _groups.narrow(1, startPos, inside);
        return inside == seq ? part : nn.functional.pad(part, [0, seq - inside]);
    }

    public void Dispose() => _groups.Dispose();
}
