using System.Text.Json;
using System.Text.Json.Serialization;
using Adapters.Core.Model;

namespace Adapters.Core.Exported;

/// <summary>
/// model_manifest.json, the contract between export/ (writes it) and runtime/ (reads it through
/// <see cref="ExportedModel.Open"/>): what an exported folder holds, so a runtime learns the
/// model's shape, files and graph names without parsing ONNX.
/// </summary>
public sealed record ExportedModelManifest
{
    /// <summary>Identifies the file; a reader refuses any other value.</summary>
    public const string ExpectedFormat = "adapters-onnx-model";

    /// <summary>Bumped on any change a version-1 reader would misread.</summary>
    public const int SupportedFormatVersion = 1;

    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    [JsonPropertyName("format")] public string? Format { get; init; } = ExpectedFormat;
    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = SupportedFormatVersion;
    [JsonPropertyName("config")] public LlamaConfig? Config { get; init; }
    [JsonPropertyName("fingerprint")] public ModelFingerprint? Fingerprint { get; init; }
    /// <summary>The checkpoint the weights came from (path or description), for people reading the folder.</summary>
    [JsonPropertyName("source_checkpoint")] public string? SourceCheckpoint { get; init; }
    [JsonPropertyName("model_file")] public string? ModelFile { get; init; } = ExportedModelFiles.ModelFileName;
    /// <summary>The ONNX external data file, or null when the weights are inline.</summary>
    [JsonPropertyName("external_data_file")] public string? ExternalDataFile { get; init; }
    [JsonPropertyName("genai_config_file")] public string? GenAiConfigFile { get; init; } = ExportedModelFiles.GenAiConfigFileName;
    [JsonPropertyName("tokenizer")] public ExportedModelTokenizer? Tokenizer { get; init; }
    [JsonPropertyName("io")] public ExportedModelIo Io { get; init; } = new();
    [JsonPropertyName("bos_token_id")] public int BosTokenId { get; init; }
    [JsonPropertyName("eos_token_id")] public int EosTokenId { get; init; }
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }
    [JsonPropertyName("onnx_ir_version")] public long OnnxIrVersion { get; init; }
    [JsonPropertyName("onnx_opset")] public long OnnxOpset { get; init; }
    /// <summary>Adapter inputs of the graph and the adapters exported beside it; null for a plain or fused export.</summary>
    [JsonPropertyName("adapters")] public ExportedAdapterInterface? Adapters { get; init; }
    /// <summary>Block-quantized weights (<c>export --quantize</c>); null for an fp32 export.</summary>
    [JsonPropertyName("quantization")] public ExportedQuantization? Quantization { get; init; }
    /// <summary>How the graph computes attention (<see cref="ExportedAttention"/>), which decides how the KV cache is fed.</summary>
    [JsonPropertyName("attention")] public string Attention { get; init; } = ExportedAttention.Standard;
    /// <summary>The contrib-op fusions of the graph (<c>export --fuse</c>: gqa, skip-norm, rotary), for people and tools reading the folder.</summary>
    [JsonPropertyName("fusions")] public IReadOnlyList<string> Fusions { get; init; } = [];
    [JsonPropertyName("created_utc")] public DateTimeOffset? CreatedUtc { get; init; }

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
