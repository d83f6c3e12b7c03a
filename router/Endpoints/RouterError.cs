using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Adapters.Router.Endpoints;

/// <summary>
/// A refusal the router answers itself, written as the replicas write theirs (OpenAI's
/// {"error": {"message", "type", "param", "code"}}), so a client cannot tell which hop refused.
/// </summary>
public sealed class RouterError(int status, string type, string message, string? param = null, string? code = null) : Exception(message)
{
    public int StatusCode { get; } = status;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;

    public static RouterError Invalid(string message, string? param = null) => new(StatusCodes.Status400BadRequest, "invalid_request_error", message, param);

    public Task WriteAsync(HttpContext http)
    {
        http.Response.Clear();
        http.Response.StatusCode = StatusCode;
        http.Response.ContentType = "application/json";
        var body = new Dictionary<string, object?>
        {
            ["error"] = new Dictionary<string, object?> { ["message"] = Message, ["type"] = Type, ["param"] = Param, ["code"] = Code },
        };
        return http.Response.WriteAsync(JsonSerializer.Serialize(body));
    }
}
