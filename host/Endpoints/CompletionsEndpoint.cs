using System.Text;
using Adapters.Host.Api;
using Adapters.Host.Completions;
using Microsoft.AspNetCore.Http;

namespace Adapters.Host.Endpoints;

/// <summary>POST /v1/completions: validate, then answer whole or as server-sent events (<see cref="GenerationLifecycle"/> does the rest).</summary>
internal static class CompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext http, HostState state)
    {
        long arrival = GenerationLifecycle.Now();
        GenerationLifecycle.RefuseWhenStopping(state);
        var request = await HttpJson.ReadAsync(http, HostJsonContext.Default.CompletionRequest);
        if (state.Store is { } store) await store.PrepareAsync(http, request.Model); // the adapter store's lazy load
        var plan = CompletionValidator.Validate(request, state.Backend);
        var identity = new ResponseIdentity($"cmpl-{Guid.NewGuid():N}", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), plan.Job.Model);
        await GenerationLifecycle.RunAsync(http, state, plan, arrival, (run, cancel) =>
            plan.Stream ? StreamAsync(http, run, plan, identity, cancel) : WholeAsync(http, run, plan, identity, cancel));
    }

    static async Task WholeAsync(HttpContext http, CompletionRun run, CompletionPlan plan, ResponseIdentity identity, CancellationToken cancel)
    {
        var text = new StringBuilder();
        await foreach (string piece in run.TextAsync(cancel)) text.Append(piece);
        var response = new CompletionResponse
        {
            Id = identity.Id,
            Created = identity.Created,
            Model = identity.Model,
            Choices = [new CompletionChoice { Text = text.ToString(), FinishReason = run.FinishReason }],
            Usage = new CompletionUsage { PromptTokens = plan.Job.PromptTokens.Count, CompletionTokens = run.CompletionTokens },
        };
        await HttpJson.WriteAsync(http, response, HostJsonContext.Default.CompletionResponse);
    }

    /// <summary>One chunk per text piece, a last chunk with the finish reason, an optional usage chunk, then [DONE].</summary>
    static async Task StreamAsync(HttpContext http, CompletionRun run, CompletionPlan plan, ResponseIdentity identity, CancellationToken cancel)
    {
        ServerSentEvents.Begin(http);
        await foreach (string piece in run.TextAsync(cancel))
            await ServerSentEvents.WriteAsync(http, Chunk(identity, piece, null), HostJsonContext.Default.CompletionResponse, cancel);
        await ServerSentEvents.WriteAsync(http, Chunk(identity, "", run.FinishReason), HostJsonContext.Default.CompletionResponse, cancel);
        if (plan.IncludeUsage)
        {
            var usage = Chunk(identity, "", null) with
            {
                Choices = [],
                Usage = new CompletionUsage { PromptTokens = plan.Job.PromptTokens.Count, CompletionTokens = run.CompletionTokens },
            };
            await ServerSentEvents.WriteAsync(http, usage, HostJsonContext.Default.CompletionResponse, cancel);
        }
        await ServerSentEvents.EndAsync(http, cancel);
    }

    static CompletionResponse Chunk(ResponseIdentity identity, string text, string? finishReason) => new()
    {
        Id = identity.Id,
        Created = identity.Created,
        Model = identity.Model,
        Choices = [new CompletionChoice { Text = text, FinishReason = finishReason }],
    };
}
