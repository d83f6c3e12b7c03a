namespace Adapters.Runtime;

/// <summary>How ONNX Runtime sessions are created.</summary>
public sealed record OnnxRuntimeOptions
{
    public ExecutionProviderPreference Provider { get; init; } = ExecutionProviderPreference.Auto;

    /// <summary>Threads one operator may use; 0 lets ONNX Runtime choose (one per physical core).</summary>
    public int IntraOpThreads { get; init; }

    public int CudaDeviceId { get; init; }

    /// <summary>
    /// When set, every session writes ONNX Runtime's profile (a Chrome trace of each node's kernel
    /// time) to a file starting with this path; <see cref="OnnxDecoderModel.EndProfiling"/> closes it.
    /// </summary>
    public string? ProfileFilePrefix { get; init; }

    /// <summary>
    /// Receives the few lines the runtime has to say (the provider choice); standard error when
    /// null. A delegate rather than ILogger, so the library needs no logging framework.
    /// </summary>
    public Action<string>? Log { get; init; }

    public OnnxRuntimeOptions Validate()
    {
        if (IntraOpThreads < 0) throw new ArgumentException($"intra-op threads must be >= 0 (0 = ONNX Runtime's choice), got {IntraOpThreads}");
        if (CudaDeviceId < 0) throw new ArgumentException($"CUDA device id must be >= 0, got {CudaDeviceId}");
        return this;
    }
}
