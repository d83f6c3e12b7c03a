using Adapters.Core.Generation;
using Adapters.Core.Model;

namespace Adapters.Runtime.Serving;

/// <summary>
/// One sequence generated with one adapter version (or none): the first <see cref="Forward"/> is
/// the prefill and fixes the prompt length, so residual edits get their position masks there and
/// zero masks on decode steps. Owns its KV cache and its adapter lease (released on dispose);
/// borrows the model.
/// </summary>
public sealed class OnnxAdapterSession : IDecoderSession
{
    readonly OnnxBatchSession _batch;
    readonly AdapterInputBuilder _inputs;
    readonly AdapterLease? _lease;
    int _promptLength = -1;

    internal OnnxAdapterSession(OnnxDecoderModel model, AdapterInputBuilder inputs, AdapterLease? lease)
    {
        _inputs = inputs;
        _lease = lease;
        _batch = model.StartBatch(1);
    }

    public LlamaConfig Config => _batch.Config;
    public int Position => _batch.Position(0);

    /// <summary>The adapter version this session runs with, or null for the base model.</summary>
    public LoadedAdapter? Adapter => _lease?.Adapter;

    public float[] Forward(ReadOnlySpan<int> tokens) => Run(tokens, borrowed: false).OwnedArray;

    /// <summary>The last token's logits [vocab] in the session's reused buffer: valid until the next call.</summary>
    public ReadOnlySpan<float> ForwardLast(ReadOnlySpan<int> tokens) => Run(tokens, borrowed: true).Last(0);

    BatchLogits Run(ReadOnlySpan<int> tokens, bool borrowed)
    {
        if (tokens.IsEmpty) throw new ArgumentException("forward needs at least one token");
        if (_promptLength < 0) _promptLength = tokens.Length;
        using var feed = _inputs.Build([Adapter], [new RowWindow(Position, tokens.Length, _promptLength)], tokens.Length);
        int[] row = tokens.ToArray();
        return borrowed ? _batch.ForwardBorrowed([row], feed.Values) : _batch.Forward([row], feed.Values);
    }

    public void Dispose()
    {
        _batch.Dispose();
        _lease?.Dispose();
    }
}
