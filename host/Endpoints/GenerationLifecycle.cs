using System.Diagnostics;
using Adapters.Host.Api;
using Adapters.Runtime.Backends;
using Adapters.Host.Completions;
using Microsoft.AspNetCore.Http;

namespace Adapters.Host.Endpoints;

/// <summary>
/// What every generation request goes through, whatever its wire format: refuse while shutting
/// down, wait for a slot (or 429 when the queue is full), generate under the request timeout and
/// the client's connection, and map the backend's refusals to status codes.
/// </summary>
internal static class GenerationLifecycle
{
    /// <summary>Seconds a client told "429" should wait; one decode slot frees in well under that on the models we serve.</summary>
    const int RetryAfterSeconds = 1;

    public static void RefuseWhenStopping(HostState state)
    {
        if (state.Stopping.IsCancellationRequested)
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, ErrorTypes.Unavailable, "the server is shutting down");
    }

    /// <summary>Runs <paramref name="plan"/> and lets <paramref name="respond"/> write the answer from its text pieces.</summary>
    public static async Task RunAsync(HttpContext http, HostState state, CompletionPlan plan, long arrival, Func<CompletionRun, CancellationToken, Task> respond)
    {
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
            await respond(new CompletionRun(state.Backend, plan, state.Metrics, arrival), cancel.Token);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !http.RequestAborted.IsCancellationRequested)
        {
            state.Metrics.Rejected.WithLabels("timeout").Inc();
            var error = new ApiException(StatusCodes.Status504GatewayTimeout, ErrorTypes.Timeout,
                $"the request did not finish within the server's timeout of {state.Options.RequestTimeout.TotalSeconds:0.###} s", code: "timeout");
            if (!http.Response.HasStarted) throw error;
            await ServerSentEvents.WriteAsync(http, error.ToResponse(), HostJsonContext.Default.ErrorResponse, CancellationToken.None);
            await ServerSentEvents.EndAsync(http, CancellationToken.None);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; generation has stopped with it and nobody is left to answer.
        }
        catch (UnknownModelException e)
        {
            throw GenerationFieldsReader.UnknownModel(e.Model); // unloaded between validation and generation
        }
        catch (BackendBusyException e) when (!http.Response.HasStarted)
        {
            state.Metrics.Rejected.WithLabels("busy").Inc();
            http.Response.Headers.RetryAfter = RetryAfterSeconds.ToString();
            throw new ApiException(StatusCodes.Status503ServiceUnavailable, ErrorTypes.Unavailable, e.Message, code: "adapters_busy");
        }
    }

    public static long Now() => Stopwatch.GetTimestamp();
}
