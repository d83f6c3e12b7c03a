namespace Adapters.Runtime;

/// <summary>Which ONNX Runtime execution provider a caller asks for.</summary>
public enum ExecutionProviderPreference
{
    /// <summary>CUDA when this build and machine can run it, otherwise CPU (logged once).</summary>
    Auto,
    /// <summary>CPU only.</summary>
    Cpu,
    /// <summary>CUDA or fail: for hosts where a silent CPU fallback would be a surprise.</summary>
    Cuda,
}
