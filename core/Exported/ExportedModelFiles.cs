namespace Adapters.Core.Exported;

/// <summary>File names inside an exported model folder.</summary>
public static class ExportedModelFiles
{
    /// <summary>The decoder graph; also what genai_config.json's decoder.filename names.</summary>
    public const string ModelFileName = "model.onnx";

    /// <summary>ONNX external data (weights) beside the graph, written only for models near protobuf's 2 GiB limit.</summary>
    public const string ExternalDataFileName = "model.onnx.data";

    /// <summary>ONNX Runtime GenAI's model description.</summary>
    public const string GenAiConfigFileName = "genai_config.json";

    /// <summary>Our own description (<see cref="ExportedModelManifest"/>), so a runtime never parses ONNX to learn the shape.</summary>
    public const string ManifestFileName = "model_manifest.json";
}
