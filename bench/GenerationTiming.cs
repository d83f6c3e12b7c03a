namespace Adapters.Bench;

/// <summary>One timed generation: prefill through the first sampled token, then each decode step (forward + sampling).</summary>
public sealed record GenerationTiming(double TimeToFirstTokenMs, IReadOnlyList<double> StepMs);
