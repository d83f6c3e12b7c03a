#if !ONNXRUNTIME_GPU
using Microsoft.ML.OnnxRuntimeGenAI;

namespace Adapters.Bench;

/// <summary>The search every timed GenAI generation uses, so the bench and the profile time the same thing.</summary>
internal static class GenAiSearch
{
    /// <summary>
    /// Greedy search of exactly <paramref name="length"/> tokens, the prompt included: min_length
    /// keeps EOS from ending a random model early, so every generation runs the same steps.
    /// </summary>
    public static void FixedLengthGreedy(GeneratorParams parameters, int length)
    {
        parameters.SetSearchOption("max_length", length);
        parameters.SetSearchOption("min_length", length);
        parameters.SetSearchOption("do_sample", false);
    }
}
#endif
