using Adapters.Core.Generation;

namespace Adapters.Runtime.Backends;

/// <summary>
/// One validated completion request as a backend sees it: the host has already checked that the
/// model exists, that the prompt fits the context and that <see cref="MaxTokens"/> fits after it.
/// </summary>
public sealed record CompletionJob
{
    /// <summary>Base model name or adapter name (vLLM convention: an adapter is addressed as a model).</summary>
    public required string Model { get; init; }

    /// <summary>Prompt token ids, BOS first.</summary>
    public required IReadOnlyList<int> PromptTokens { get; init; }

    /// <summary>At least 1, at most context − prompt length.</summary>
    public required int MaxTokens { get; init; }

    public required SamplingOptions Sampling { get; init; }

    /// <summary>Generation ends before any of these tokens: the model's EOS, and for chat the template's end-of-turn tokens.</summary>
    public required IReadOnlySet<int> StopTokens { get; init; }
}
