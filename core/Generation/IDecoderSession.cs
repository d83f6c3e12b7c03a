using Adapters.Core.Model;

namespace Adapters.Core.Generation;

/// <summary>
/// One sequence being decoded (batch 1) with its own KV cache. Engines (TorchSharp, ONNX
/// Runtime) implement this; <see cref="TextGenerator"/> drives any of them the same way.
/// </summary>
public interface IDecoderSession : IDisposable
{
    LlamaConfig Config { get; }

    /// <summary>Tokens consumed so far (the position of the next token).</summary>
    int Position { get; }

    /// <summary>
    /// Feeds tokens at positions Position.. and returns their logits, row-major
    /// [tokens.Length, vocab]. The first call is the prefill, later calls decode steps.
    /// </summary>
    float[] Forward(ReadOnlySpan<int> tokens);

    /// <summary>
    /// <see cref="Forward"/> for a decode loop: only the last token's logits [vocab], which the
    /// session may keep in a buffer it reuses, so they are valid until its next call. Engines
    /// override this to allocate nothing per step (a fresh [vocab] array per token is a large-object
    /// allocation at real vocabulary sizes, and the full collections those cause were the largest
    /// share of the batch-1 latency tail).
    /// </summary>
    ReadOnlySpan<float> ForwardLast(ReadOnlySpan<int> tokens)
    {
        float[] logits = Forward(tokens);
        return logits.AsSpan(logits.Length - Config.VocabSize);
    }
}

/// <summary>A loaded model that starts independent decoding sessions.</summary>
public interface IDecoderModel : IDisposable
{
    LlamaConfig Config { get; }
    IDecoderSession StartSession();
}
