using LLama;
using LLama.Common;

namespace Adapters.Bench;

/// <summary>
/// One GGUF file loaded into llama.cpp, shared by the variants that time it with and without a
/// LoRA (each has its own context; an adapter is applied per context), so a full-size model's
/// weights are in memory once. Freed when the last variant lets go. Not thread-safe.
/// </summary>
public sealed class LlamaCppModel
{
    int _users;

    public LlamaCppModel(string modelFile, int threads, int contextLength)
    {
        LlamaCppNative.EnsureLoaded();
        Parameters = new ModelParams(modelFile) { ContextSize = (uint)contextLength, Threads = threads, BatchThreads = threads, GpuLayerCount = 0 };
        Weights = LLamaWeights.LoadFromFile(Parameters);
    }

    public ModelParams Parameters { get; }
    public LLamaWeights Weights { get; }

    /// <summary>A variant starts using the model.</summary>
    public LlamaCppModel Acquire()
    {
        _users++;
        return this;
    }

    /// <summary>A variant is done with it; the last one frees the weights.</summary>
    public void Release()
    {
        if (--_users == 0) Weights.Dispose();
    }
}
