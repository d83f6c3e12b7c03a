using Microsoft.ML.OnnxRuntime;

namespace Adapters.Runtime;

/// <summary>
/// The input_ids and position_ids of a forward, [batch, seq] int64, in pinned arrays that are
/// reused from step to step and wrapped for ONNX Runtime once per shape (a decode loop wraps
/// once). Not thread-safe.
/// </summary>
internal sealed class TokenInputBuffers : IDisposable
{
    long[] _ids = [], _positions = [];
    OrtValue? _idsValue, _positionsValue;
    int _batch, _seq;

    /// <summary>Row-major [batch, seq] views to fill before the run.</summary>
    public Span<long> Ids => _ids.AsSpan(0, _batch * _seq);
    public Span<long> Positions => _positions.AsSpan(0, _batch * _seq);

    public OrtValue IdsValue => _idsValue ?? throw new InvalidOperationException("Shape was not called");
    public OrtValue PositionsValue => _positionsValue ?? throw new InvalidOperationException("Shape was not called");

    /// <summary>Shapes the buffers and their wrappers to [batch, seq] (no work when they already are).</summary>
    public void Shape(int batch, int seq)
    {
        if (_batch == batch && _seq == seq && _idsValue is not null) return;
        ReleaseWrappers();
        int length = batch * seq;
        if (_ids.Length < length)
        {
            _ids = GC.AllocateUninitializedArray<long>(length, pinned: true);
            _positions = GC.AllocateUninitializedArray<long>(length, pinned: true);
        }
        _idsValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _ids.AsMemory(0, length), [batch, seq]);
        _positionsValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _positions.AsMemory(0, length), [batch, seq]);
        _batch = batch;
        _seq = seq;
    }

    void ReleaseWrappers()
    {
        _idsValue?.Dispose();
        _positionsValue?.Dispose();
        _idsValue = _positionsValue = null;
    }

    public void Dispose() => ReleaseWrappers();
}
