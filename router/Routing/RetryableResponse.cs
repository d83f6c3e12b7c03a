using System.Net;
using Yarp.ReverseProxy.Transforms;

namespace Adapters.Router.Routing;

/// <summary>
/// A YARP response transform: on a request's first attempt, a replica's 503 (draining, or every
/// adapter place held) is not copied to the client, so <see cref="ReplicaRouting"/> can still send
/// the request to the next replica; the status and headers YARP copied are cleared before that.
/// </summary>
internal static class RetryableResponse
{
    public static ValueTask Apply(ResponseTransformContext context)
    {
        var http = context.HttpContext;
        if (context.ProxyResponse?.StatusCode == HttpStatusCode.ServiceUnavailable && http.Items[ReplicaRouting.FirstAttemptKey] is true)
        {
            context.SuppressResponseBody = true;
            http.Items[ReplicaRouting.SuppressedKey] = true;
        }
        return ValueTask.CompletedTask;
    }
}
