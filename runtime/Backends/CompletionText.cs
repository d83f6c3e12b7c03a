using Adapters.Core.Generation;
using Adapters.Core.Tokenizers;
using System.Runtime.CompilerServices;

namespace Adapters.Runtime.Backends;

/// <summary>
/// One completion from backend tokens to text: decodes incrementally, applies stop strings
/// (leaving the loop early stops the backend), and afterwards knows the finish reason and the
/// token count. The same text pieces feed streamed and whole answers, over HTTP and in-process.
/// </summary>
public sealed class CompletionText(ICompletionBackend backend, CompletionJob job, IReadOnlyList<string> stopStrings)
{
    public const string FinishStop = "stop", FinishLength = "length";

    public int CompletionTokens { get; private set; }

    /// <summary>"stop" for a stop token or string, "length" for max_tokens (which callers cap at the context end).</summary>
    public string FinishReason { get; private set; } = FinishStop;

    /// <summary>Called with each generated token before its text is decoded (for latency metrics).</summary>
    public Action<int>? TokenObserved { get; init; }

    public async IAsyncEnumerable<string> TextAsync([EnumeratorCancellation] CancellationToken cancel)
    {
        var decoder = new StreamingDecoder(backend.Tokenizer, job.PromptTokens);
        var stops = new StopMatcher(stopStrings);
        await foreach (var token in backend.GenerateAsync(job, cancel).WithCancellation(cancel))
        {
            CompletionTokens++;
            TokenObserved?.Invoke(token.TokenId);
            // Control bytes (what <0x00>-style byte tokens decode to) are never sent as text.
            string text = stops.Push(VisibleText.Of(decoder.Add(token.TokenId)));
            if (text.Length > 0) yield return text;
            if (stops.Stopped)
            {
                FinishReason = FinishStop;
                yield break;
            }
        }
        string rest = stops.Push(VisibleText.Of(decoder.Flush()));
        if (!stops.Stopped) rest += stops.Flush();
        if (rest.Length > 0) yield return rest;
        FinishReason = !stops.Stopped && CompletionTokens >= job.MaxTokens ? FinishLength : FinishStop;
    }
}
