using Microsoft.ML.OnnxRuntime;

namespace Adapters.Runtime;

/// <summary>
/// Creates ONNX Runtime sessions on the best available execution provider. The first session
/// decides between CUDA and CPU (trying CUDA when allowed and falling back to CPU) and logs
/// the choice; later sessions reuse that choice silently. Thread-safe; share one per process.
/// </summary>
public sealed class OnnxSessionFactory
{
    /// <summary>ONNX Runtime's name of its CUDA provider, as <c>GetAvailableProviders</c> lists it.</summary>
    const string CudaProviderName = "CUDAExecutionProvider";

    readonly OnnxRuntimeOptions _options;
    readonly Action<string> _log;
    readonly Lock _lock = new();
    ExecutionProviderKind? _provider;

    public OnnxSessionFactory(OnnxRuntimeOptions? options = null)
    {
        _options = (options ?? new OnnxRuntimeOptions()).Validate();
        _log = _options.Log ?? (line => Console.Error.WriteLine(line));
    }

    /// <summary>The provider chosen by the first session; null before it.</summary>
    public ExecutionProviderKind? Provider
    {
        get { lock (_lock) return _provider; }
    }

    /// <summary>Writes a line where this factory reports its provider choice (stderr unless the options say otherwise).</summary>
    public void Log(string line) => _log(line);

    /// <summary>A new session for the model file; the caller owns (disposes) it.</summary>
    public InferenceSession CreateSession(string modelPath)
    {
        NativeHeapLayout.EnsureApplied(); // before the process's first session allocates its weights
        lock (_lock)
        {
            if (_provider is { } known) return Create(modelPath, known);
            if (_options.Provider == ExecutionProviderPreference.Cpu)
                return Choose(Create(modelPath, ExecutionProviderKind.Cpu), ExecutionProviderKind.Cpu, "CPU execution provider (as configured)");
            // The CPU package has no CUDA provider at all: say so plainly instead of trying it and reporting a missing entry point.
            if (!OrtEnv.Instance().GetAvailableProviders().Contains(CudaProviderName))
            {
                if (_options.Provider == ExecutionProviderPreference.Cuda)
                    throw new InvalidOperationException("the CUDA execution provider was required, but this ONNX Runtime package has none (it is the CPU build)");
                return Choose(Create(modelPath, ExecutionProviderKind.Cpu), ExecutionProviderKind.Cpu, "CPU execution provider (this ONNX Runtime package is the CPU build)");
            }

            try
            {
                return Choose(Create(modelPath, ExecutionProviderKind.Cuda), ExecutionProviderKind.Cuda, $"CUDA execution provider (device {_options.CudaDeviceId})");
            }
            catch (Exception e) when (IsProviderUnavailable(e))
            {
                if (_options.Provider == ExecutionProviderPreference.Cuda)
                    throw new InvalidOperationException($"the CUDA execution provider was required but is unavailable: {e.Message}", e);
                return Choose(Create(modelPath, ExecutionProviderKind.Cpu), ExecutionProviderKind.Cpu,
                    $"CPU execution provider (CUDA unavailable: {FirstLine(e.Message)})");
            }
        }
    }

    InferenceSession Choose(InferenceSession session, ExecutionProviderKind provider, string description)
    {
        _provider = provider;
        _log($"onnxruntime: using {description}");
        return session;
    }

    InferenceSession Create(string modelPath, ExecutionProviderKind provider)
    {
        // ONNX Runtime copies what it needs from the options when the session is created.
        using var options = new SessionOptions
        {
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogId = "adapters",
            // Adapter inputs are graph inputs with initializer defaults by design (rank 0 = no
            // adapter); ONNX Runtime warns once per such input at load. Errors still throw.
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        if (_options.IntraOpThreads > 0) options.IntraOpNumThreads = _options.IntraOpThreads;
        if (_options.ProfileFilePrefix is { } prefix)
        {
            // The prefix first: EnableProfiling starts the profiler with the prefix set at that moment.
            options.ProfileOutputPathPrefix = prefix;
            options.EnableProfiling = true;
        }
        if (provider == ExecutionProviderKind.Cuda) options.AppendExecutionProvider_CUDA(_options.CudaDeviceId);
        return new InferenceSession(modelPath, options);
    }

    /// <summary>
    /// The errors a CPU-only build or a machine without CUDA libraries gives: the provider is not
    /// compiled in, its library or an entry point is missing, or it fails to initialise.
    /// </summary>
    static bool IsProviderUnavailable(Exception e) =>
        e is OnnxRuntimeException or EntryPointNotFoundException or DllNotFoundException;

    static string FirstLine(string message)
    {
        int end = message.IndexOfAny(['\r', '\n']);
        return end < 0 ? message : message[..end];
    }
}
