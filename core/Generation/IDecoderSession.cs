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
}

/// <summary>A loaded model that starts independent decoding sessions.</summary>
public interface IDecoderModel : IDisposable
{
    LlamaConfig Config { get; }
    IDecoderSession StartSession();
}
