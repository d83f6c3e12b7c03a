using System.Text;
using Adapters.Host.Api;
using Adapters.Host.Completions;
using Microsoft.AspNetCore.Http;

namespace Adapters.Host.Endpoints;

/// <summary>
/// POST /v1/chat/completions: the conversation is rendered with the model folder's chat template
/// and generated through the same backend (and so the same decode steps) as /v1/completions.
/// </summary>
internal static class ChatCompletionsEndpoint
{
    public static async Task HandleAsync(HttpContext http, HostState state)
    {
        long arrival = GenerationLifecycle.Now();
        GenerationLifecycle.RefuseWhenStopping(state);
        var request = await HttpJson.ReadAsync(http, HostJsonContext.Default.ChatCompletionRequest);
        if (state.Store is { } store) await store.PrepareAsync(http, request.Model); // the adapter store's lazy load
        var plan = ChatValidator.Validate(request, state.Backend);
        var identity = new ResponseIdentity($"chatcmpl-{Guid.NewGuid():N}", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), plan.Job.Model);
        await GenerationLifecycle.RunAsync(http, state, plan, arrival, (run, cancel) =>
            plan.Stream ? StreamAsync(http, run, plan, identity, cancel) : WholeAsync(http, run, plan, identity, cancel));
    }

    static async Task WholeAsync(HttpContext http, CompletionRun run, CompletionPlan plan, ResponseIdentity identity, CancellationToken cancel)
    {
        var text = new StringBuilder();
        await foreach (string piece in run.TextAsync(cancel)) text.Append(piece);
        var response = new ChatCompletionResponse
        {
            Id = identity.Id,
            Created = identity.Created,
            Model = identity.Model,
            Choices = [new ChatChoice { Message = new ChatResponseMessage { Content = text.ToString() }, FinishReason = run.FinishReason }],
            Usage = Usage(plan, run),
        };
        await HttpJson.WriteAsync(http, response, HostJsonContext.Default.ChatCompletionResponse);
    }

    /// <summary>
    /// As OpenAI streams chat: a first chunk with the role, one chunk per text piece, a last chunk
    /// with an empty delta and the finish reason, the usage chunk (no choices) when asked, then [DONE].
    /// The first chunk waits for the first piece, so a failure before any token still gets a status code.
    /// </summary>
    static async Task StreamAsync(HttpContext http, CompletionRun run, CompletionPlan plan, ResponseIdentity identity, CancellationToken cancel)
    {
        ServerSentEvents.Begin(http);
        bool started = false;
        await foreach (string piece in run.TextAsync(cancel))
        {
            if (!started) await WriteRoleChunkAsync();
            await ServerSentEvents.WriteAsync(http, Chunk(identity, new ChatDelta { Content = piece }, null), HostJsonContext.Default.ChatCompletionChunk, cancel);
        }
        if (!started) await WriteRoleChunkAsync();
        await ServerSentEvents.WriteAsync(http, Chunk(identity, new ChatDelta(), run.FinishReason), HostJsonContext.Default.ChatCompletionChunk, cancel);
        if (plan.IncludeUsage)
            await ServerSentEvents.WriteAsync(http, Chunk(identity, new ChatDelta(), null) with { Choices = [], Usage = Usage(plan, run) },
                HostJsonContext.Default.ChatCompletionChunk, cancel);
        await ServerSentEvents.EndAsync(http, cancel);

        Task WriteRoleChunkAsync()
        {
            started = true;
            return ServerSentEvents.WriteAsync(http, Chunk(identity, new ChatDelta { Role = "assistant", Content = "" }, null), HostJsonContext.Default.ChatCompletionChunk, cancel);
        }
    }

    static CompletionUsage Usage(CompletionPlan plan, CompletionRun run) =>
        new() { PromptTokens = plan.Job.PromptTokens.Count, CompletionTokens = run.CompletionTokens };

    static ChatCompletionChunk Chunk(ResponseIdentity identity, ChatDelta delta, string? finishReason) => new()
    {
        Id = identity.Id,
        Created = identity.Created,
        Model = identity.Model,
        Choices = [new ChatChunkChoice { Delta = delta, FinishReason = finishReason }],
    };
}
