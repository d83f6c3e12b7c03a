using Microsoft.ML.OnnxRuntime;

namespace Adapters.Runtime;

/// <summary>
/// Where a forward writes its logits: for <see cref="OnnxBatchSession.ForwardBorrowed"/> a pinned,
/// grow-only buffer from the model's <see cref="SessionBufferPool"/> that the session reuses (its
/// loan revoked before each overwrite, so earlier <see cref="BatchLogits"/> go stale); for
/// <see cref="OnnxBatchSession.Forward"/> a new array the caller keeps. Not thread-safe.
/// </summary>
internal sealed class LogitsBuffer(SessionBufferPool pool) : IDisposable
{
    readonly LogitsLoan _loan = new();
    float[] _borrowed = [];
    OrtValue? _borrowedValue;      // wraps _borrowed as [batch, seq, vocab]
    int _batch, _seq;

    /// <summary>
    /// A target of [batch, seq, vocab] floats: its array, its ONNX Runtime wrapper, and whether
    /// the caller must dispose the wrapper after the run (owned logits get a wrapper per call).
    /// </summary>
    public (float[] Array, OrtValue Value, bool DisposeValue) Target(int batch, int seq, int vocab, bool borrowed)
    {
        int length = checked(batch * seq * vocab);
        if (!borrowed)
        {
            var owned = new float[length];
            // Managed arrays are pinned and read in place; logits are written straight into the result array.
            return (owned, OrtValue.CreateTensorValueFromMemory(owned, [batch, seq, vocab]), true);
        }
        _loan.Revoke(); // the buffer is about to be overwritten, whatever the run's outcome
        if (_borrowed.Length < length)
        {
            _borrowedValue?.Dispose();
            _borrowedValue = null;
            pool.Return(_borrowed);
            _borrowed = pool.RentLogits(length);
        }
        if (_borrowedValue is null || _batch != batch || _seq != seq)
        {
            _borrowedValue?.Dispose();
            _borrowedValue = OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, _borrowed.AsMemory(0, length), [batch, seq, vocab]);
            _batch = batch;
            _seq = seq;
        }
        return (_borrowed, _borrowedValue, false);
    }

    /// <summary>The logits of the last run into <paramref name="array"/>, borrowed or owned.</summary>
    public BatchLogits Result(float[] array, int batch, int seq, int vocab, bool borrowed) =>
        borrowed ? new BatchLogits(array, batch, seq, vocab, _loan) : new BatchLogits(array, batch, seq, vocab);

    public void Dispose()
    {
        _loan.Revoke();
        _borrowedValue?.Dispose();
        _borrowedValue = null;
        pool.Return(_borrowed);
        _borrowed = [];
    }
}
