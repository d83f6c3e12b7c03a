using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Adapters.Host.Api;
using Microsoft.AspNetCore.Http;

namespace Adapters.Host.Endpoints;

/// <summary>Reads request bodies and writes JSON answers with the source-generated serializers.</summary>
internal static class HttpJson
{
    /// <summary>The body as <typeparamref name="T"/>; malformed JSON, a wrong field type or an empty body is a 400 naming the field.</summary>
    public static async Task<T> ReadAsync<T>(HttpContext http, JsonTypeInfo<T> type) where T : class
    {
        try
        {
            return await JsonSerializer.DeserializeAsync(http.Request.Body, type, http.RequestAborted)
                ?? throw new ApiException(StatusCodes.Status400BadRequest, ErrorTypes.InvalidRequest, "the request body must be a JSON object, got null");
        }
        catch (JsonException e)
        {
            string? param = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
            throw new ApiException(StatusCodes.Status400BadRequest, ErrorTypes.InvalidRequest, $"invalid JSON body: {e.Message}", param, "invalid_json");
        }
        catch (IOException e) when (!http.RequestAborted.IsCancellationRequested && e is not BadHttpRequestException)
        {
            // Kestrel reports some malformed framing (a chunk size that overflows) as a plain IOException.
            throw new ApiException(StatusCodes.Status400BadRequest, ErrorTypes.InvalidRequest, $"the request body could not be read: {e.Message}", code: "bad_body");
        }
        catch (InvalidOperationException e) when (e.Source == typeof(JsonSerializer).Assembly.GetName().Name)
        {
            // A typed string field holding invalid UTF-8 or an unpaired surrogate escape.
            throw new ApiException(StatusCodes.Status400BadRequest, ErrorTypes.InvalidRequest, $"invalid JSON body: a string is not valid text: {e.Message}", code: "invalid_text");
        }
    }

    public static Task WriteAsync<T>(HttpContext http, T value, JsonTypeInfo<T> type, int status = StatusCodes.Status200OK)
    {
        http.Response.StatusCode = status;
        http.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(http.Response.Body, value, type, http.RequestAborted);
    }

    public static Task WriteErrorAsync(HttpContext http, ApiException error)
    {
        if (error.StatusCode == StatusCodes.Status401Unauthorized) http.Response.Headers.WWWAuthenticate = "Bearer";
        return WriteAsync(http, error.ToResponse(), HostJsonContext.Default.ErrorResponse, error.StatusCode);
    }
}
