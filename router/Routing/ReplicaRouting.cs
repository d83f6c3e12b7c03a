using Adapters.Router.Endpoints;
using Adapters.Router.Replicas;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace Adapters.Router.Routing;

/// <summary>
/// The step of YARP's proxy pipeline that picks the replica of a generation request and retries it
/// once: it reads the body (for its "model", and to send it again), chooses by the routing policy
/// among the replicas YARP lists as available, lets YARP's forwarder send it, and when that attempt
/// failed before any byte reached the client — no connection, the replica died before answering,
/// or it answered 503 (draining, or no adapter place free) — sends it to the next replica on the
/// ring. A streamed answer that broke after its first bytes is not retried: the client has text.
/// </summary>
public sealed class ReplicaRouting(ReplicaDirectory directory, RouterOptions options, RouterMetrics metrics)
{
    /// <summary>Response headers naming the replica that answered and why it was chosen (bench-serve reads them).</summary>
    public const string ReplicaHeader = "x-adapters-replica", RouteHeader = "x-adapters-route";

    /// <summary>HttpContext.Items keys shared with <see cref="RetryableResponse"/>.</summary>
    internal const string FirstAttemptKey = "adapters.first-attempt", SuppressedKey = "adapters.suppressed-503";

    int _roundRobin = -1;

    /// <summary>Which model each replica was sent most lately: only that one spills from an over-bound home.</summary>
    readonly HotModels _hot = new();

    public async Task InvokeAsync(HttpContext http, Func<Task> next)
    {
        RequestBody body;
        try { body = await RequestBody.ReadAsync(http); }
        catch (RouterError e)
        {
            metrics.Refused.WithLabels(e.StatusCode.ToString()).Inc();
            await e.WriteAsync(http);
            return;
        }

        var proxy = http.GetReverseProxyFeature();
        var available = proxy.AvailableDestinations.ToDictionary(d => d.DestinationId, StringComparer.Ordinal);
        var tried = new HashSet<string>(StringComparer.Ordinal);
        var choice = Choose(body.Model, available, tried);
        if (choice is null)
        {
            await Refuse(http, new RouterError(StatusCodes.Status503ServiceUnavailable, "service_unavailable_error",
                $"no replica is available ({directory.All.Count} known, none passing its health check)", code: "no_replica"));
            return;
        }
        metrics.Routed.WithLabels(choice.Reason).Inc();

        for (int attempt = 0; ; attempt++)
        {
            var destination = available[choice.Replica];
            http.Items[FirstAttemptKey] = attempt == 0;
            http.Items.Remove(SuppressedKey);
            http.Request.Body = new MemoryStream(body.Bytes, writable: false);
            http.Response.Headers[ReplicaHeader] = choice.Replica;
            http.Response.Headers[RouteHeader] = attempt == 0 ? choice.Reason : "retry";
            proxy.AvailableDestinations = destination;
            // Counted where its home is, even when it spilled: the home's hottest model is the one to move.
            if (attempt == 0 && directory.Ring.Walk(body.Model).FirstOrDefault(available.ContainsKey) is { } home) _hot.Record(home, body.Model);
            await next();

            var error = http.Features.Get<IForwarderErrorFeature>()?.Error ?? ForwarderError.None;
            bool suppressed503 = http.Items.ContainsKey(SuppressedKey);
            metrics.Requests.WithLabels(choice.Replica, error is ForwarderError.Request ? "0" : http.Response.StatusCode.ToString()).Inc();
            if (error is ForwarderError.Request or ForwarderError.RequestBodyDestination or ForwarderError.ResponseBodyDestination)
                directory.MarkFailed(destination); // gone: out of the ring now rather than after two failed probes

            // Any failure on the replica's side counts while the client has received nothing (YARP has
            // then cleared the response to a bare 502); the client's own failures and timeouts do not.
            bool retryable = !http.Response.HasStarted && !http.RequestAborted.IsCancellationRequested
                && (suppressed503 || error is ForwarderError.Request or ForwarderError.RequestBodyDestination
                    or ForwarderError.ResponseHeaders or ForwarderError.ResponseBodyDestination);
            if (attempt > 0 || !retryable)
            {
                if (!suppressed503) await ExplainForwarderError(http, error, choice.Replica, attempt > 0 ? " (on the retry)" : "");
                return;
            }

            tried.Add(choice.Replica);
            var retry = Choose(body.Model, available, tried);
            if (retry is null)
            {
                // Nowhere else to go: the client gets the failure as it was, with a body that says it (a 503 whose body was held back is rewritten).
                if (suppressed503)
                    await Refuse(http, new RouterError(StatusCodes.Status503ServiceUnavailable, "service_unavailable_error",
                        $"replica {choice.Replica} is busy or stopping and no other replica is available", code: "no_replica"));
                else await ExplainForwarderError(http, error, choice.Replica, " and no other replica is available");
                return;
            }
            metrics.Retries.WithLabels(suppressed503 ? "replica_503" : "connection").Inc();
            http.Response.Clear();
            http.Features.Set<IForwarderErrorFeature>(null);
            choice = retry;
        }
    }

    /// <summary>
    /// A forwarding failure before any byte reached the client: YARP leaves a bare status (502, or 504
    /// after the activity timeout) with no body; the client gets an OpenAI-style error naming the replica.
    /// </summary>
    Task ExplainForwarderError(HttpContext http, ForwarderError error, string replica, string tail)
    {
        if (error is ForwarderError.None || http.Response.HasStarted || http.RequestAborted.IsCancellationRequested) return Task.CompletedTask;
        int status = http.Response.StatusCode >= 500 ? http.Response.StatusCode : StatusCodes.Status502BadGateway;
        string what = error is ForwarderError.RequestTimedOut ? "did not answer in time" : "could not be reached or failed before answering";
        return Refuse(http, new RouterError(status, "server_error", $"replica {replica} {what}{tail}", code: "replica_unreachable"));
    }

    Task Refuse(HttpContext http, RouterError error)
    {
        metrics.Refused.WithLabels(error.StatusCode.ToString()).Inc();
        return error.WriteAsync(http);
    }

    ReplicaChoice? Choose(string model, Dictionary<string, DestinationState> available, HashSet<string> tried)
    {
        var open = available.Keys.Where(k => !tried.Contains(k)).ToHashSet(StringComparer.Ordinal);
        if (open.Count == 0) return null;
        if (options.Policy == RoutingPolicy.RoundRobin)
        {
            var order = open.Order(StringComparer.Ordinal).ToList();
            int turn = Interlocked.Increment(ref _roundRobin);
            return new ReplicaChoice(order[(int)((uint)turn % order.Count)], ReplicaChoice.RoundRobin);
        }
        // A replica YARP has but the ring does not yet (a DNS change in flight) still gets traffic through the ring's next update.
        return BoundedLoadChooser.Choose(directory.Ring, model, open, id => available[id].ConcurrentRequestCount, options.LoadFactor, options.SpillFloor,
            id => _hot.IsHottest(id, model));
    }
}
