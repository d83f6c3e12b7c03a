using System.Diagnostics;
using Adapters.Host.Metrics;
using Adapters.Runtime.Backends;

namespace Adapters.Host.Completions;

/// <summary>
/// One HTTP completion: the runtime's <see cref="CompletionText"/> plus the host's latency and
/// token metrics (time to first token from the request's arrival, then time per output token).
/// </summary>
internal sealed class CompletionRun
{
    readonly CompletionText _text;
    readonly CompletionPlan _plan;
    readonly HostMetrics _metrics;

    public CompletionRun(ICompletionBackend backend, CompletionPlan plan, HostMetrics metrics, long arrivalTimestamp)
    {
        _plan = plan;
        _metrics = metrics;
        long previous = arrivalTimestamp;
        bool first = true;
        var generated = metrics.GeneratedTokens.WithLabels(plan.Job.Model);
        _text = new CompletionText(backend, plan.Job, plan.Stops)
        {
            TokenObserved = _ =>
            {
                long now = Stopwatch.GetTimestamp();
                (first ? metrics.TimeToFirstToken : metrics.TimePerOutputToken).Observe(Stopwatch.GetElapsedTime(previous, now).TotalSeconds);
                previous = now;
                first = false;
                generated.Inc();
            },
        };
    }

    public int CompletionTokens => _text.CompletionTokens;
    public string FinishReason => _text.FinishReason;

    public IAsyncEnumerable<string> TextAsync(CancellationToken cancel)
    {
        _metrics.PromptTokens.WithLabels(_plan.Job.Model).Inc(_plan.Job.PromptTokens.Count);
        return _text.TextAsync(cancel);
    }
}
