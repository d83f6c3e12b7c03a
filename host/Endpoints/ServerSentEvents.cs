using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Adapters.Host.Endpoints;

/// <summary>Server-sent events as OpenAI streams them: "data: {json}" events, then "data: [DONE]".</summary>
internal static class ServerSentEvents
{
    static readonly byte[] Done = "data: [DONE]\n\n"u8.ToArray();

    /// <summary>Sets the event-stream headers; they go out with the first event, so a failure before it still gets a status code.</summary>
    public static void Begin(HttpContext http)
    {
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
    }

    public static async Task WriteAsync<T>(HttpContext http, T value, JsonTypeInfo<T> type, CancellationToken cancel)
    {
        byte[] json = JsonSerializer.SerializeToUtf8Bytes(value, type);
        var body = http.Response.Body;
        await body.WriteAsync("data: "u8.ToArray(), cancel);
        await body.WriteAsync(json, cancel);
        await body.WriteAsync("\n\n"u8.ToArray(), cancel);
        await body.FlushAsync(cancel);
    }

    public static async Task EndAsync(HttpContext http, CancellationToken cancel)
    {
        await http.Response.Body.WriteAsync(Done, cancel);
        await http.Response.Body.FlushAsync(cancel);
    }
}
