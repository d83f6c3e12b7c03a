namespace Adapters.Export.Quantization;

/// <summary>
/// <c>export --quantize int8|int4</c>: the projection weights (and, with
/// <see cref="ClassifierBits"/>, the classifier) stored block-quantized for ONNX Runtime's
/// com.microsoft MatMulNBits. Everything else (embedding, norms, adapter inputs, KV cache) stays fp32.
/// </summary>
public sealed record QuantizationOptions
{
    /// <summary>32 weights per block: llama.cpp's Q8_0/Q4_0 block, and what MLAS's int8 kernels are tuned for.</summary>
    public const int DefaultBlockSize = 32;

    /// <summary>
    /// 4 = MatMulNBits quantizes the activations to int8 per block and multiplies in integers
    /// (AVX-512 VNNI on this machine's CPU); 0 keeps the activations fp32 (dequantize, then fp32 math).
    /// </summary>
    public const int DefaultAccuracyLevel = 4;

    /// <summary>MatMulNBits' bit widths that ONNX Runtime's CPU kernels implement and we export.</summary>
    public static readonly IReadOnlyList<int> SupportedBits = [8, 4];

    /// <summary>Bits per projection weight: 8 or 4.</summary>
    public int Bits { get; init; } = 4;

    /// <summary>Weights per block along the input features: a power of two, at least 16 (MatMulNBits' rule).</summary>
    public int BlockSize { get; init; } = DefaultBlockSize;

    /// <summary>MatMulNBits accuracy_level: 0 unset, 1 fp32, 2 fp16, 3 bf16, 4 int8.</summary>
    public int AccuracyLevel { get; init; } = DefaultAccuracyLevel;

    /// <summary>Bits of the classifier (8 or 4); null keeps it fp32 (a tied embedding keeps its fp32 copy for the lookup either way).</summary>
    public int? ClassifierBits { get; init; }

    /// <summary>"int8" → 8, "int4" → 4; anything else is refused naming the accepted words.</summary>
    public static int ParseBits(string text, string what) => text.Trim().ToLowerInvariant() switch
    {
        "int8" => 8,
        "int4" => 4,
        _ => throw new ArgumentException($"{what} '{text}' is not supported; use int8 or int4"),
    };

    public QuantizationOptions Validate()
    {
        if (!SupportedBits.Contains(Bits)) throw new ArgumentException($"quantization bits must be 8 or 4, got {Bits}");
        if (ClassifierBits is { } c && !SupportedBits.Contains(c)) throw new ArgumentException($"classifier quantization bits must be 8 or 4, got {c}");
        if (BlockSize < 16 || (BlockSize & (BlockSize - 1)) != 0)
            throw new ArgumentException($"quantization block size must be a power of two and at least 16 (MatMulNBits' rule), got {BlockSize}");
        if (AccuracyLevel is < 0 or > 4)
            throw new ArgumentException($"accuracy level must be 0 (unset), 1 (fp32), 2 (fp16), 3 (bf16) or 4 (int8), got {AccuracyLevel}");
        return this;
    }
}
