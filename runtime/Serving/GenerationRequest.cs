using Adapters.Core.Generation;

namespace Adapters.Runtime.Serving;

/// <summary>One generation for <see cref="ContinuousBatchScheduler"/>: prompt ids (BOS included), token budget, adapter name (null = base model).</summary>
public sealed record GenerationRequest(IReadOnlyList<int> PromptTokens, int MaxNewTokens, string? AdapterName = null)
{
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;

    /// <summary>Generation stops before this token; null = never.</summary>
    public int? EosToken { get; init; }
}
