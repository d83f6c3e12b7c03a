using Adapters.Core.Generation;

namespace Adapters.Runtime.Serving;

/// <summary>One generation for <see cref="ContinuousBatchScheduler"/>: prompt ids (BOS included), token budget, adapter name (null = base model).</summary>
public sealed record GenerationRequest(IReadOnlyList<int> PromptTokens, int MaxNewTokens, string? AdapterName = null)
{
    public SamplingOptions Sampling { get; init; } = SamplingOptions.Greedy;

    /// <summary>Generation stops before any of these tokens (EOS, a chat template's end-of-turn token); empty = never.</summary>
    public IReadOnlySet<int> StopTokens { get; init; } = new HashSet<int>();

    /// <summary>
    /// Called with each generated token as soon as its step ends (streaming). It runs on the
    /// scheduler's worker thread between steps, so it must return at once (write to a channel,
    /// never wait); if it throws, the request fails with that exception and leaves the batch.
    /// </summary>
    public Action<int>? OnToken { get; init; }
}
