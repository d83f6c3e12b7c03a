using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Adapters.Host.Api;
using Adapters.Host.Backends;
using Adapters.Host.Completions;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Adapters.Host.Endpoints;

/// <summary>
/// POST /v1/completions: validate, wait for a slot (or 429 when the queue is full), generate under
/// the request timeout and the client's connection, and answer whole or as server-sent events.
/// </summary>
internal static class CompletionsEndpoint
{
    /// <summary>Seconds a client told "429" should wait; one decode slot frees in well under that on the models we serve.</summary>
    const int RetryAfterSeconds = 1;

    static readonly byte[] Done = Encoding.UTF8.GetBytes("data: [DONE]\n\n");

    public static async Task HandleAsync(HttpContext http, HostState state)
    {
        long arrival = Stopwatch.GetTimestamp();
        if (state.Stopping.IsCancellationRequested)
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, ErrorTypes.Unavailable, "the server is shutting down");
        var request = await HttpJson.ReadAsync(http, HostJsonContext.Default.CompletionRequest);
        var plan = CompletionValidator.Validate(request, state.Backend);

        using var timeout = new CancellationTokenSource(state.Options.RequestTimeout);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(http.RequestAborted, timeout.Token);
        try
        {
            using var slot = await state.Admission.TryEnterAsync(cancel.Token);
            if (slot is null)
            {
                state.Metrics.Rejected.WithLabels("queue_full").Inc();
                http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString();
                throw new ApiException(StatusCodes.Status429TooManyRequests, ErrorTypes.RateLimit,
                    $"the server is busy: {state.Options.MaxBatch} requests are generating and {state.Options.MaxQueue} are waiting; retry later", code: "queue_full");
            }
            var run = new CompletionRun(state.Backend, plan, state.Metrics, arrival);
            var response = new ResponseIdentity($"cmpl-{Guid.NewGuid():N}", DateTimeOffset.UtcNow.ToUnixTimeSeconds(), plan.Job.Model);
            if (plan.Stream) await StreamAsync(http, run, plan, response, cancel.Token);
            else await WholeAsync(http, run, plan, response, cancel.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
        {
            state.Metrics.Rejected.WithLabels("timeout").Inc();
            var error = new ApiException(StatusCodes.Status504GatewayTimeout, ErrorTypes.Timeout,
                $"the request did not finish within the server's timeout of {state.Options.RequestTimeout.TotalSeconds:0.###} s", code: "timeout");
            if (!http.Response.HasStarted) throw error;
            await WriteEventAsync(http, error.ToResponse(), HostJsonContext.Default.ErrorResponse, CancellationToken.None);
            await http.Response.Body.WriteAsync(Done, CancellationToken.None);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; generation has stopped with it and nobody is left to answer.
        }
        catch (UnknownModelException e)
        {
            throw CompletionValidator.UnknownModel(e.Model); // unloaded between validation and generation
        }
        catch (BackendBusyException e) when (!http.Response.HasStarted)
        {
            state.Metrics.Rejected.WithLabels("busy").Inc();
            http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString();
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, ErrorTypes.Unavailable, e.Message, code: "adapters_busy");
        }
    }

    readonly record struct ResponseIdentity(string Id, long Created, string Model);

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

    /// <summary>
    /// Server-sent events as OpenAI sends them: one chunk per text piece, a last chunk with the
    /// finish reason, an optional usage chunk, then [DONE]. Headers go out with the first piece,
    /// so a failure before any token still gets a proper status code.
    /// </summary>
    static async Task StreamAsync(HttpContext http, CompletionRun run, CompletionPlan plan, ResponseIdentity identity, CancellationToken cancel)
    {
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        await foreach (string piece in run.TextAsync(cancel))
            await WriteEventAsync(http, Chunk(identity, piece, null), HostJsonContext.Default.CompletionResponse, cancel);
        await WriteEventAsync(http, Chunk(identity, "", run.FinishReason), HostJsonContext.Default.CompletionResponse, cancel);
        if (plan.IncludeUsage)
        {
            var usage = Chunk(identity, "", null) with
            {
                Choices = [],
                Usage = new CompletionUsage { PromptTokens = plan.Job.PromptTokens.Count, CompletionTokens = run.CompletionTokens },
            };
            await WriteEventAsync(http, usage, HostJsonContext.Default.CompletionResponse, cancel);
        }
        await http.Response.Body.WriteAsync(Done, cancel);
        await http.Response.Body.FlushAsync(cancel);
    }

    static CompletionResponse Chunk(ResponseIdentity identity, string text, string? finishReason) => new()
    {
        Id = identity.Id,
        Created = identity.Created,
        Model = identity.Model,
        Choices = [new CompletionChoice { Text = text, FinishReason = finishReason }],
    };

    static async Task WriteEventAsync<T>(HttpContext http, T value, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type, CancellationToken cancel)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(value, type);
        var body = http.Response.Body;
        await body.WriteAsync("data: "u8.ToArray(), cancel);
        await body.WriteAsync(json, cancel);
        await body.WriteAsync("\n\n"u8.ToArray(), cancel);
        await body.FlushAsync(cancel);
    }
}
