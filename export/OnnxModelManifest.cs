using System.Text.Json;
using System.Text.Json.Serialization;
using Adapters.Core.Model;

namespace Adapters.Export;

/// <summary>
/// model_manifest.json: what an exported folder holds, so a runtime learns the model's shape,
/// files and graph names without parsing ONNX. The runtime reads it with its own matching
/// type; the JSON names are the contract.
/// </summary>
public sealed record OnnxModelManifest
{
    /// <summary>Identifies the file; a reader refuses any other value.</summary>
    public const string FormatName = "adapters-onnx-model";

    /// <summary>Bumped on any change a version-1 reader would misread.</summary>
    public const int CurrentFormatVersion = 1;

    public static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = true };

    [JsonPropertyName("format")] public string Format { get; init; } = FormatName;
    [JsonPropertyName("format_version")] public int FormatVersion { get; init; } = CurrentFormatVersion;
    [JsonPropertyName("config")] public required LlamaConfig Config { get; init; }
    [JsonPropertyName("fingerprint")] public required ModelFingerprint Fingerprint { get; init; }
    /// <summary>The checkpoint the weights came from (path or description), for people reading the folder.</summary>
    [JsonPropertyName("source_checkpoint")] public required string SourceCheckpoint { get; init; }
    [JsonPropertyName("model_file")] public string ModelFile { get; init; } = OnnxModelFolder.ModelFileName;
    /// <summary>The ONNX external data file, or null when the weights are inline.</summary>
    [JsonPropertyName("external_data_file")] public string? ExternalDataFile { get; init; }
    [JsonPropertyName("genai_config_file")] public string GenAiConfigFile { get; init; } = OnnxModelFolder.GenAiConfigFileName;
    [JsonPropertyName("tokenizer")] public OnnxManifestTokenizer? Tokenizer { get; init; }
    [JsonPropertyName("io")] public OnnxManifestIo Io { get; init; } = new();
    [JsonPropertyName("bos_token_id")] public int BosTokenId { get; init; }
    [JsonPropertyName("eos_token_id")] public int EosTokenId { get; init; }
    [JsonPropertyName("pad_token_id")] public int PadTokenId { get; init; }
    [JsonPropertyName("onnx_ir_version")] public long OnnxIrVersion { get; init; } = Onnx.OnnxGraphBuilder.IrVersion;
    [JsonPropertyName("onnx_opset")] public long OnnxOpset { get; init; } = Onnx.OnnxGraphBuilder.OpsetVersion;
    [JsonPropertyName("created_utc")] public DateTimeOffset CreatedUtc { get; init; } = DateTimeOffset.UtcNow;

    public string ToJson() => JsonSerializer.Serialize(this, JsonOptions);
}
