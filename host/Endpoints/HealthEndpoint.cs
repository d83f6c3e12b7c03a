using Adapters.Host.Api;
using Microsoft.AspNetCore.Http;

namespace Adapters.Host.Endpoints;

/// <summary>GET /health: 200 while serving, 503 once shutdown has begun (so a load balancer drains this instance).</summary>
internal static class HealthEndpoint
{
    public static Task HandleAsync(HttpContext http, HostState state) =>
        state.Stopping.IsCancellationRequested
            ? HttpJson.WriteAsync(http, new StatusResponse { Status = "stopping" }, HostJsonContext.Default.StatusResponse, StatusCodes.Status503ServiceUnavailable)
            : HttpJson.WriteAsync(http, new StatusResponse { Status = "ok" }, HostJsonContext.Default.StatusResponse);
}
