using System.Text.Json.Serialization;
using Adapters.Core.Model;

namespace Adapters.Runtime;

/// <summary>
/// The runtime's reading of model_manifest.json, the file the exporter writes beside model.onnx.
/// The runtime never references the exporter; the JSON names below are the contract, and the
/// round-trip tests pin them.
/// </summary>
public sealed record ExportedModelManifest
{
    /// <summary>The only format this reader accepts, and the newest version it understands.</summary>
    public const string ExpectedFormat = "adapters-onnx-model";
    public const int SupportedFormatVersion = 1;

    [JsonPropertyName("format")] public string? Format { get; init; }
    [JsonPropertyName("format_version")] public int FormatVersion { get; init; }
    [JsonPropertyName("config")] public LlamaConfig? Config { get; init; }
    [JsonPropertyName("fingerprint")] public ModelFingerprint? Fingerprint { get; init; }
    [JsonPropertyName("source_checkpoint")] public string? SourceCheckpoint { get; init; }
    [JsonPropertyName("model_file")] public string? ModelFile { get; init; }
    [JsonPropertyName("external_data_file")] public string? ExternalDataFile { get; init; }
    [JsonPropertyName("genai_config_file")] public string? GenAiConfigFile { get; init; }
    [JsonPropertyName("tokenizer")] public ExportedModelTokenizer? Tokenizer { get; init; }
    [JsonPropertyName("io")] public ExportedModelIo Io { get; init; } = new();
    [JsonPropertyName("bos_token_id")] public int BosTokenId { get; init; }
    [JsonPropertyName("eos_token_id")] public int EosTokenId { get; init; }
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }
    [JsonPropertyName("onnx_ir_version")] public long OnnxIrVersion { get; init; }
    [JsonPropertyName("onnx_opset")] public long OnnxOpset { get; init; }
    [JsonPropertyName("created_utc")] public DateTimeOffset? CreatedUtc { get; init; }
}
