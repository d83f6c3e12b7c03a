using System.Diagnostics;
using System.Runtime.CompilerServices;
using Adapters.Host.Backends;
using Adapters.Host.Metrics;
using Adapters.Core.Tokenizers;

namespace Adapters.Host.Completions;

/// <summary>
/// One completion from backend tokens to text: decodes incrementally, applies stop strings
/// (leaving the loop early stops the backend), records latency metrics, and afterwards knows the
/// finish reason and the token count. The same text pieces feed streamed and whole responses.
/// </summary>
internal sealed class CompletionRun(ICompletionBackend backend, CompletionPlan plan, HostMetrics metrics, long arrivalTimestamp)
{
    public const string FinishStop = "stop", FinishLength = "length";

    public int CompletionTokens { get; private set; }

    /// <summary>"stop" for EOS or a stop string, "length" for max_tokens (which the validator caps at the context end).</summary>
    public string FinishReason { get; private set; } = FinishStop;

    public async IAsyncEnumerable<string> TextAsync([EnumeratorCancellation] CancellationToken cancel)
    {
        var decoder = new StreamingDecoder(backend.Tokenizer, plan.Job.PromptTokens);
        var stops = new StopMatcher(plan.Stops);
        var generated = metrics.GeneratedTokens.WithLabels(plan.Job.Model);
        metrics.PromptTokens.WithLabels(plan.Job.Model).Inc(plan.Job.PromptTokens.Count);
        long previous = arrivalTimestamp;
        await foreach (var token in backend.GenerateAsync(plan.Job, cancel).WithCancellation(cancel))
        {
            long now = Stopwatch.GetTimestamp();
            (CompletionTokens == 0 ? metrics.TimeToFirstToken : metrics.TimePerOutputToken).Observe(Stopwatch.GetElapsedTime(previous, now).TotalSeconds);
            previous = now;
            CompletionTokens++;
            generated.Inc();
            string text = stops.Push(decoder.Add(token.TokenId));
            if (text.Length > 0) yield return text;
            if (stops.Stopped)
            {
                FinishReason = FinishStop;
                yield break;
            }
        }
        string rest = stops.Push(decoder.Flush());
        if (!stops.Stopped) rest += stops.Flush();
        if (rest.Length > 0) yield return rest;
        FinishReason = !stops.Stopped && CompletionTokens >= plan.Job.MaxTokens ? FinishLength : FinishStop;
    }
}
