namespace Adapters.Bench.Profiling;

/// <summary>One engine's greedy batch-1 decode with ONNX Runtime's profiler on, driven step by step by <see cref="DecodeProfiler"/>.</summary>
internal interface IProfiledDecode : IDisposable
{
    /// <summary>"ours" or "GenAI", as the tables name it.</summary>
    string Engine { get; }

    /// <summary>Starts a new generation with the prompt's prefill: one model run.</summary>
    void Start(int[] prompt);

    /// <summary>False once the generation can take no further step (the context is full).</summary>
    bool CanStep { get; }

    /// <summary>One greedy step: one model run and its sampling.</summary>
    void Step();

    /// <summary>Ends the profiling and returns the trace file (the engine is finished with).</summary>
    string EndProfiling();
}
