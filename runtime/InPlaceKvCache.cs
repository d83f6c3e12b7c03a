using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Adapters.Runtime;

/// <summary>
/// The KV cache of a GroupQueryAttention graph: per layer one key and one value tensor
/// [batch, kv_heads, capacity, head_size] in native memory, bound as both the past input and the
/// present output of every run, so the op writes the new slots in place (no Concat, no copy per
/// step). Row r's slots [0, length_r) are its sequence; everything after is unused. The capacity
/// grows (slots of live rows copied) when a run needs more, up to the model's context. Not
/// thread-safe.
/// </summary>
internal sealed class InPlaceKvCache : IDisposable
{
    /// <summary>Capacity grows in steps of this many slots (rounded up), at least doubling, so a decode loop reallocates rarely.</summary>
    const int SlotGranularity = 64;

    const int Alignment = 64;

    readonly int _tensors, _batch, _kvHeads, _headSize, _maxCapacity;
    nint _raw, _base;
    OrtValue[] _past = [], _present = [];                    // [batch, kv_heads, capacity, hs] per tensor
    readonly Dictionary<int, (OrtValue[] Past, OrtValue[] Present)> _rows = [];  // [1, kv_heads, capacity, hs] views of one row
    bool _disposed;

    public InPlaceKvCache(int tensors, int batch, int kvHeads, int headSize, int maxCapacity)
    {
        _tensors = tensors;
        _batch = batch;
        _kvHeads = kvHeads;
        _headSize = headSize;
        _maxCapacity = maxCapacity;
    }

    /// <summary>True when this cache has this layout (what <see cref="SessionBufferPool"/> reuses it for).</summary>
    public bool Matches(int tensors, int batch, int kvHeads, int headSize, int maxCapacity) =>
        !_disposed && _tensors == tensors && _batch == batch && _kvHeads == kvHeads && _headSize == headSize && _maxCapacity == maxCapacity;

    /// <summary>Slots per row the memory holds.</summary>
    public int Capacity { get; private set; }

    long RowFloats => (long)_kvHeads * Capacity * _headSize;
    long TensorFloats => _batch * RowFloats;

    /// <summary>
    /// Makes room for <paramref name="slots"/> slots per row, keeping the first
    /// <paramref name="rowLengths"/>[r] slots of every row; a no-op when there is room.
    /// </summary>
    public void EnsureCapacity(int slots, ReadOnlySpan<int> rowLengths)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (slots <= Capacity) return;
        if (slots > _maxCapacity) throw new ArgumentException($"{slots} cache slots pass the model's context of {_maxCapacity}");
        int capacity = Math.Min(_maxCapacity, RoundUp(Math.Max(slots, 2 * Capacity)));
        long bytes = checked((long)_tensors * _batch * _kvHeads * capacity * _headSize * sizeof(float) + Alignment);
        nint raw = Marshal.AllocHGlobal((nint)bytes);
        nint newBase = (raw + (Alignment - 1)) & ~(nint)(Alignment - 1);
        if (_raw != 0)
        {
            // [batch, kv_heads, capacity, hs]: each (row, head) keeps its first length_r slots.
            int oldCapacity = Capacity;
            for (int t = 0; t < _tensors; t++)
            {
                using var from = Wrap(_base, t, oldCapacity);
                using var to = Wrap(newBase, t, capacity);
                var source = from.GetTensorDataAsSpan<float>();
                var target = to.GetTensorMutableDataAsSpan<float>();
                for (int r = 0; r < _batch; r++)
                    for (int h = 0; h < _kvHeads; h++)
                    {
                        int floats = rowLengths[r] * _headSize;
                        source.Slice(((r * _kvHeads + h) * oldCapacity) * _headSize, floats)
                            .CopyTo(target.Slice(((r * _kvHeads + h) * capacity) * _headSize, floats));
                    }
            }
        }
        Free();
        _raw = raw;
        _base = newBase;
        Capacity = capacity;
        GC.AddMemoryPressure(bytes);
    }

    /// <summary>A view of tensor <paramref name="t"/> of a whole-batch memory block of <paramref name="capacity"/> slots, for copying.</summary>
    OrtValue Wrap(nint memory, int t, int capacity)
    {
        long floats = (long)_batch * _kvHeads * capacity * _headSize;
        return OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, [_batch, _kvHeads, capacity, _headSize],
            memory + (nint)(t * floats * sizeof(float)), floats * sizeof(float));
    }

    static int RoundUp(int slots) => Math.Max(SlotGranularity, (slots + SlotGranularity - 1) / SlotGranularity * SlotGranularity);

    /// <summary>The whole batch's views, past and present over the same memory (key, value per layer).</summary>
    public (OrtValue[] Past, OrtValue[] Present) Batch()
    {
        if (_past.Length == 0)
        {
            _past = Views(0, _batch, TensorFloats);
            _present = Views(0, _batch, TensorFloats);
        }
        return (_past, _present);
    }

    /// <summary>One row's views [1, kv_heads, capacity, hs], past and present over the same memory.</summary>
    public (OrtValue[] Past, OrtValue[] Present) Row(int row)
    {
        if (!_rows.TryGetValue(row, out var views))
            _rows[row] = views = (Views(row * RowFloats, 1, TensorFloats), Views(row * RowFloats, 1, TensorFloats));
        return views;
    }

    OrtValue[] Views(long offsetFloats, int batch, long strideFloats)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_raw == 0) throw new InvalidOperationException("the cache has no memory yet (EnsureCapacity)");
        var views = new OrtValue[_tensors];
        long[] shape = [batch, _kvHeads, Capacity, _headSize];
        long bytes = batch * RowFloats * sizeof(float);
        for (int t = 0; t < _tensors; t++)
            views[t] = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float, shape,
                _base + (nint)((t * strideFloats + offsetFloats) * sizeof(float)), bytes);
        return views;
    }

    void ReleaseViews()
    {
        foreach (var v in _past.Concat(_present)) v.Dispose();
        foreach (var (past, present) in _rows.Values)
            foreach (var v in past.Concat(present)) v.Dispose();
        _past = _present = [];
        _rows.Clear();
    }

    void Free()
    {
        ReleaseViews();
        if (_raw == 0) return;
        Marshal.FreeHGlobal(_raw);
        GC.RemoveMemoryPressure((long)_tensors * _batch * _kvHeads * Capacity * _headSize * sizeof(float) + Alignment);
        _raw = _base = 0;
        Capacity = 0;
    }

    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        Free();
        GC.SuppressFinalize(this);
    }

    /// <summary>An undisposed session still returns its memory (views over it own none of it).</summary>
    ~InPlaceKvCache()
    {
        if (_raw != 0) Marshal.FreeHGlobal(_raw);
    }
}
