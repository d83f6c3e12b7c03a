namespace Adapters.Export;

/// <summary>What `adapters export` writes: an ONNX model folder (ours, GenAI-loadable) or GGUF files for llama.cpp.</summary>
public enum ExportFormat
{
    Onnx,
    Gguf,
}
