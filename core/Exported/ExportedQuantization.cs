using System.Text.Json.Serialization;

namespace Adapters.Core.Exported;

/// <summary>
/// model_manifest.json "quantization": how the projection weights (and optionally the classifier)
/// of an <c>export --quantize</c> folder are stored, and what that cost in accuracy. Absent for an
/// fp32 export. The graph computes these weights with ONNX Runtime's com.microsoft MatMulNBits;
/// adapter inputs, norms, the embedding and the KV cache stay fp32.
/// </summary>
public sealed record ExportedQuantization
{
    /// <summary>The ONNX Runtime op the quantized weights feed (com.microsoft domain).</summary>
    public const string MatMulNBitsOp = "com.microsoft.MatMulNBits";

    [JsonPropertyName("op")] public string Op { get; init; } = MatMulNBitsOp;

    /// <summary>Bits per weight of the projections: 8 or 4.</summary>
    [JsonPropertyName("bits")] public int Bits { get; init; }

    /// <summary>Weights per block along the input features; each block has one fp32 scale.</summary>
    [JsonPropertyName("block_size")] public int BlockSize { get; init; }

    /// <summary>MatMulNBits accuracy_level: 0 unset, 1 fp32, 2 fp16, 3 bf16, 4 int8 activations.</summary>
    [JsonPropertyName("accuracy_level")] public int AccuracyLevel { get; init; }

    /// <summary>Symmetric blocks: code − 2^(bits−1), no zero-point tensor (llama.cpp's Q8_0/Q4_0 are symmetric too).</summary>
    [JsonPropertyName("symmetric")] public bool Symmetric { get; init; } = true;

    /// <summary>Bits of the classifier (logits) weight; null when it stays fp32.</summary>
    [JsonPropertyName("classifier_bits")] public int? ClassifierBits { get; init; }

    /// <summary>‖W − Ŵ‖_F / ‖W‖_F over every quantized weight together.</summary>
    [JsonPropertyName("relative_error")] public double RelativeError { get; init; }

    /// <summary>‖W − Ŵ‖_F / ‖W‖_F per quantized weight, by canonical tensor name.</summary>
    [JsonPropertyName("projection_errors")] public IReadOnlyDictionary<string, double> ProjectionErrors { get; init; } = new Dictionary<string, double>();
}
