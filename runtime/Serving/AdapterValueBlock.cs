using System.Runtime.InteropServices;
using Adapters.Core.Model;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace Adapters.Runtime.Serving;

/// <summary>
/// One adapter version's values in one block of native memory, each tensor 64-byte aligned. Off
/// the GC heap because a store that reads adapters back on every miss (hundreds a second) made
/// most of a replica's garbage with them, and fed to ONNX Runtime without pinning anything.
/// <para>
/// A <see cref="SafeHandle"/>, so the memory is freed exactly once, when both have happened: its
/// owner disposed it (the registry retiring the version) and every lease taken with
/// <see cref="SafeHandle.DangerousAddRef"/> was released. A block nobody disposes is freed by its
/// finalizer; reading a freed block throws <see cref="ObjectDisposedException"/>.
/// </para>
/// </summary>
internal sealed unsafe class AdapterValueBlock : SafeHandle
{
    /// <summary>Floats per 64 bytes: every tensor starts on a cache line.</summary>
    const int AlignmentFloats = 16;

    readonly long[] _offsets;
    readonly int[] _lengths; // elements per tensor, asked for on every slot fill
    readonly int[][] _shapes;
    OrtValue[]? _feedValues;

    public AdapterValueBlock(IReadOnlyList<int[]> shapes) : base(IntPtr.Zero, ownsHandle: true)
    {
        _shapes = [.. shapes];
        _lengths = [.. _shapes.Select(shape => checked((int)TensorData.ElementCount(shape)))];
        _offsets = new long[_shapes.Length];
        long floats = 0;
        for (int i = 0; i < _shapes.Length; i++)
        {
            _offsets[i] = floats;
            floats += (_lengths[i] + AlignmentFloats - 1) / AlignmentFloats * AlignmentFloats;
        }
        SetHandle((IntPtr)NativeMemory.AlignedAlloc((nuint)Math.Max(floats * sizeof(float), 1), AlignmentFloats * sizeof(float)));
    }

    public override bool IsInvalid => handle == IntPtr.Zero;

    public int Count => _shapes.Length;

    public int[] Shape(int index) => _shapes[index];

    public int ElementCount(int index) => _lengths[index];

    /// <summary>Tensor <paramref name="index"/>'s values; the caller holds a lease, or owns the block and has not disposed it.</summary>
    public Span<float> Values(int index)
    {
        ObjectDisposedException.ThrowIf(IsClosed, this);
        return new Span<float>((float*)handle + _offsets[index], _lengths[index]);
    }

    /// <summary>
    /// The tensors as graph inputs over this memory, made on first use and released with the block,
    /// so a run feeds them without building any. Shared by every session: inputs are only read.
    /// </summary>
    public IReadOnlyList<OrtValue> FeedValues
    {
        get
        {
            if (Volatile.Read(ref _feedValues) is { } made) return made;
            ObjectDisposedException.ThrowIf(IsClosed, this);
            var values = new OrtValue[Count];
            for (int i = 0; i < Count; i++)
                values[i] = OrtValue.CreateTensorValueWithData(OrtMemoryInfo.DefaultInstance, TensorElementType.Float,
                    [.. _shapes[i].Select(d => (long)d)], handle + (nint)(_offsets[i] * sizeof(float)), (long)_lengths[i] * sizeof(float));
            if (Interlocked.CompareExchange(ref _feedValues, values, null) is { } other)
            {
                foreach (var v in values) v.Dispose(); // another thread made them first
                return other;
            }
            return values;
        }
    }

    protected override bool ReleaseHandle()
    {
        // Critical finalization runs after the OrtValues' own finalizers, so disposing them here is safe on either path.
        if (Interlocked.Exchange(ref _feedValues, null) is { } values)
            foreach (var v in values) v.Dispose();
        NativeMemory.AlignedFree((void*)handle);
        return true;
    }
}
