using Adapters.Core.Generation;
using Adapters.Core.Model;

namespace Adapters.Runtime;

/// <summary>
/// One sequence (batch 1) with its own KV cache: the first <see cref="Forward"/> is the prefill,
/// later ones decode. A batch of one underneath, so both paths share one implementation.
/// Not thread-safe; borrows its <see cref="OnnxDecoderModel"/>, which must outlive it.
/// </summary>
public sealed class OnnxDecoderSession : IDecoderSession
{
    readonly OnnxBatchSession _batch;

    internal OnnxDecoderSession(OnnxDecoderModel model)
    {
        _batch = model.StartBatch(1);
    }

    public LlamaConfig Config => _batch.Config;

    public int Position => _batch.Position(0);

    /// <summary>Logits [tokens.Length, vocab], row-major.</summary>
    public float[] Forward(ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty) throw new ArgumentException("forward needs at least one token");
        return _batch.Forward([tokens.ToArray()]).OwnedArray;
    }

    /// <summary>The last token's logits [vocab] in the session's reused buffer: valid until the next call.</summary>
    public ReadOnlySpan<float> ForwardLast(ReadOnlySpan<int> tokens)
    {
        if (tokens.IsEmpty) throw new ArgumentException("forward needs at least one token");
        return _batch.ForwardBorrowed([tokens.ToArray()]).Last(0);
    }

    public void Dispose() => _batch.Dispose();
}
