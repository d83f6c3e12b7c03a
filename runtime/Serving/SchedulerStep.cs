namespace Adapters.Runtime.Serving;

/// <summary>
/// What one decode step of <see cref="ContinuousBatchScheduler"/> did, for metrics:
/// <see cref="BatchSize"/> rows ran (of which <see cref="PrefillRows"/> fed their prompt),
/// <see cref="Waiting"/> requests were still in line, and the run took <see cref="Duration"/>.
/// </summary>
public readonly record struct SchedulerStep(int BatchSize, int PrefillRows, int Waiting, TimeSpan Duration);
