namespace Adapters.Export.Onnx;

/// <summary>
/// Which ONNX Runtime contrib ops the decoder graph uses in place of standard-op subgraphs
/// (<c>export --fuse</c>). None keeps standard ONNX ops only.
/// </summary>
public sealed record DecoderFusions
{
    public static readonly DecoderFusions None = new();

    /// <summary>
    /// Attention (rotary, cache append, grouped-head softmax) as one com.microsoft
    /// GroupQueryAttention node per layer, whose KV cache can be one buffer shared by past and
    /// present (written in place, no copy per step).
    /// </summary>
    public bool GroupQueryAttention { get; init; }
}
