using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Router.Replicas;
using Microsoft.AspNetCore.Http;

namespace Adapters.Router.Endpoints;

/// <summary>
/// POST /v1/load_lora_adapter and /v1/unload_lora_adapter, sent to every known replica at once
/// (all or error): 200 when every replica did it, the replicas' own status when they all refused
/// alike (a bad adapter is a 400 everywhere), 502 when they disagree or one could not be reached.
/// The answer lists each replica's status and body. An unload counts a replica that did not have
/// the adapter (404) as done, as long as one did: lazily loaded adapters live on a few replicas.
/// </summary>
internal static class AdminFanOutEndpoint
{
    const int MaxBodyBytes = 64 * 1024;

    /// <summary>Loading converts and checks files on each replica: allow for a large adapter on a busy machine.</summary>
    static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    public static async Task HandleAsync(HttpContext http, ReplicaDirectory directory, ReplicaClient client, AdminToken token, RouterMetrics metrics, bool unload)
    {
        string endpoint = unload ? "/v1/unload_lora_adapter" : "/v1/load_lora_adapter";
        string? authorization = http.Request.Headers.Authorization is { Count: > 0 } h ? h.ToString() : null;
        if (!token.IsAuthorized(authorization))
            throw new RouterError(StatusCodes.Status401Unauthorized, "authentication_error",
                "the admin endpoints need 'Authorization: Bearer <token>' with the router's admin token", code: "invalid_admin_token");
        byte[] body = await ReadBodyAsync(http);
        var replicas = directory.All;
        if (replicas.Count == 0)
            throw new RouterError(StatusCodes.Status503ServiceUnavailable, "service_unavailable_error", "no replica is known", code: "no_replica");

        var answers = await Task.WhenAll(replicas.Select(r => client.SendAsync(r, HttpMethod.Post, endpoint, body, authorization, Timeout, http.RequestAborted)));
        int status = Overall(answers, unload);
        metrics.AdminCalls.WithLabels(endpoint, status.ToString()).Inc();
        var result = new JsonObject
        {
            ["status"] = status == StatusCodes.Status200OK ? "ok" : "error",
            ["message"] = status switch
            {
                StatusCodes.Status200OK => $"done on all {answers.Length} replicas",
                StatusCodes.Status502BadGateway => $"the replicas did not all succeed: {string.Join("; ", answers.Select(ModelsEndpoint.Describe))}",
                _ => $"every replica refused with {status}",
            },
        };
        // A uniform refusal keeps OpenAI's error shape, taken from the first replica, for clients that read "error".
        if (status is >= 400 and < 500 && answers[0].Body?["error"] is { } error) result["error"] = error.DeepClone();
        if (status == StatusCodes.Status502BadGateway)
            result["error"] = new JsonObject { ["message"] = result["message"]!.GetValue<string>(), ["type"] = "bad_gateway", ["param"] = null, ["code"] = "replicas_disagree" };
        result["replicas"] = new JsonArray(answers.Select(a => (JsonNode)new JsonObject
        {
            ["replica"] = a.Replica,
            ["status"] = a.Status,
            ["body"] = a.Body?.DeepClone(),
            ["error"] = a.Failure,
        }).ToArray());
        await ModelsEndpoint.WriteJson(http, status, result);
    }

    static int Overall(ReplicaAnswer[] answers, bool unload)
    {
        if (answers.All(a => a.Status == StatusCodes.Status200OK)) return StatusCodes.Status200OK;
        if (unload && answers.All(a => a.Status is StatusCodes.Status200OK or StatusCodes.Status404NotFound))
            return answers.Any(a => a.Status == StatusCodes.Status200OK) ? StatusCodes.Status200OK : StatusCodes.Status404NotFound;
        int first = answers[0].Status;
        if (first is >= 400 and < 500 && answers.All(a => a.Status == first)) return first;
        return StatusCodes.Status502BadGateway;
    }

    /// <summary>Checked here (JSON object, small) so that a malformed call is one 400, not N replica errors.</summary>
    static async Task<byte[]> ReadBodyAsync(HttpContext http)
    {
        if (http.Request.ContentLength > MaxBodyBytes) throw TooLarge();
        var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        try
        {
            while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                if (buffer.Length + read > MaxBodyBytes) throw TooLarge();
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) { throw new RouterError(e.StatusCode, "invalid_request_error", $"bad request: {e.Message}"); }
        byte[] body = buffer.ToArray();
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind != JsonValueKind.Object) throw RouterError.Invalid("the request body must be a JSON object with lora_name");
            if (!document.RootElement.TryGetProperty("lora_name", out var name) || name.ValueKind != JsonValueKind.String)
                throw RouterError.Invalid("lora_name is required (a string)", "lora_name");
        }
        catch (JsonException e) { throw RouterError.Invalid($"the request body is not valid JSON: {e.Message}"); }
        return body;
    }

    static RouterError TooLarge() => new(StatusCodes.Status413PayloadTooLarge, "invalid_request_error", $"an admin request body is at most {MaxBodyBytes / 1024} KiB");
}
