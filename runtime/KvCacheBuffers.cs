using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Adapters.Runtime;

/// <summary>
/// One set of key/value caches (past or present of every layer) in native memory the session
/// keeps: each tensor [batch, kv_heads, length, head_size] is a view over a region with room for
/// <see cref="Capacity"/> slots. A batch session holds two sets and alternates them (the run reads
/// the past set and writes the present into the other), so a decode step allocates and frees no
/// cache memory: it only wraps the regions in new views. Allocating the present caches per step
/// (12 native allocations of up to ~100 KB each for a 15M model, freed again the next step)
/// cost more host time than the rest of the step's bookkeeping. Not thread-safe.
/// </summary>
internal sealed class KvCacheBuffers : IDisposable
{
    /// <summary>Capacity grows in steps of this many slots (rounded up), so a decode loop reallocates once per this many tokens.</summary>
    const int SlotGranularity = 64;

    const int Alignment = 64;

    readonly long _slotFloats; // floats of one slot across [batch, kv_heads, ·, head_size]
    readonly long[] _shape;
    readonly int _headSize;
    nint _raw;                 // the allocation; _base is it aligned
    nint _base;
    bool _disposed;

    public KvCacheBuffers(int tensors, int batch, int kvHeads, int headSize)
    {
        _slotFloats = (long)batch * kvHeads * headSize;
        _shape = [batch, kvHeads, 0, headSize];
        _headSize = headSize;
        Values = new OrtValue[tensors];
    }

    /// <summary>True when this set holds <paramref name="tensors"/> caches of [batch, kv_heads, ·, head_size] (what <see cref="SessionBufferPool"/> reuses it for).</summary>
    public bool Matches(int tensors, int batch, int kvHeads, int headSize) =>
        !_disposed && Values.Length == tensors && _shape[0] == batch && _shape[1] == kvHeads && _headSize == headSize;

    /// <summary>The views of the last <see cref="Wrap"/>, in graph order (key, value per layer); null entries when none.</summary>
    public OrtValue[] Values { get; }

    /// <summary>Slots per tensor the memory holds.</summary>
    public int Capacity { get; private set; }

    /// <summary>Slots per tensor the current views show.</summary>
    public int Length { get; private set; }

    /// <summary>
    /// Replaces the views with new ones of <paramref name="length"/> slots. Growing past
    /// <see cref="Capacity"/> reallocates and discards the contents (views are written before they
    /// are read: by a run's present outputs or by compaction).
    /// </summary>
    public OrtValue[] Wrap(int length)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ReleaseViews();
        if (length > Capacity || _raw == 0) Reallocate(length);
        long tensorFloats = _slotFloats * length, regionBytes = _slotFloats * Capacity * sizeof(float);
        _shape[2] = length;
        try
        {
            for (int i = 0; i < Values.Length; i++)
                Values[i] = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, _shape,
                    _base + (nint)(i * regionBytes), tensorFloats * sizeof(float));
        }
        catch
        {
            ReleaseViews();
            throw;
        }
        Length = length;
        return Values;
    }

    /// <summary>Disposes the views (the memory stays for the next <see cref="Wrap"/>).</summary>
    public void ReleaseViews()
    {
        for (int i = 0; i < Values.Length; i++)
        {
            Values[i]?.Dispose();
            Values[i] = null!;
        }
        Length = 0;
    }

    /// <summary>
    /// Drops the views and frees the memory when it holds more than twice what
    /// <paramref name="length"/> slots need (after compaction), so a long-lived session's memory
    /// follows its live sequences; the next <see cref="Wrap"/> allocates again.
    /// </summary>
    public void Trim(int length)
    {
        if (Capacity <= 2 * RoundUp(length)) return;
        ReleaseViews();
        Free();
    }

    static int RoundUp(int length) => Math.Max(SlotGranularity, (length + SlotGranularity - 1) / SlotGranularity * SlotGranularity);

    void Reallocate(int length)
    {
        Free();
        int capacity = RoundUp(length);
        long bytes = checked(_slotFloats * capacity * sizeof(float) * Values.Length + Alignment);
        _raw = Marshal.AllocHGlobal((nint)bytes);
        _base = (_raw + (Alignment - 1)) & ~(nint)(Alignment - 1);
        GC.AddMemoryPressure(bytes);
        Capacity = capacity;
    }

    void Free()
    {
        if (_raw == 0) return;
        Marshal.FreeHGlobal(_raw);
        GC.RemoveMemoryPressure(_slotFloats * Capacity * sizeof(float) * Values.Length + Alignment);
        _raw = _base = 0;
        Capacity = 0;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        ReleaseViews();
        Free();
        GC.SuppressFinalize(this);
    }

    /// <summary>An undisposed session still returns its memory (views over it own none of it).</summary>
    ~KvCacheBuffers() => Free();
}
