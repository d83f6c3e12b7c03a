using System.Buffers;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Adapters.Host.Endpoints;

/// <summary>Server-sent events as OpenAI streams them: "data: {json}" events, then "data: [DONE]".</summary>
/// <remarks>
/// Each event is composed in the response's pipe and flushed once, so it leaves as one HTTP chunk
/// and one send. Writing its three parts to the response stream instead made Kestrel send three
/// chunks per token ("data: ", the JSON, the blank line), each its own syscall and TCP segment.
/// </remarks>
internal static class ServerSentEvents
{
    static ReadOnlySpan<byte> Prefix => "data: "u8;
    static ReadOnlySpan<byte> EventEnd => "\n\n"u8;
    static ReadOnlySpan<byte> Done => "data: [DONE]\n\n"u8;

    /// <summary>Sets the event-stream headers; they go out with the first event, so a failure before it still gets a status code.</summary>
    public static void Begin(HttpContext http)
    {
        http.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
    }

    public static async Task WriteAsync<T>(HttpContext http, T value, JsonTypeInfo<T> type, CancellationToken cancel)
    {
        var pipe = http.Response.BodyWriter;
        pipe.Write(Prefix);
        using (var json = new Utf8JsonWriter(pipe, WriterOptions(type.Options))) JsonSerializer.Serialize(json, value, type);
        pipe.Write(EventEnd);
        await pipe.FlushAsync(cancel);
    }

    /// <summary>What the serializer would use when writing to a stream itself (a writer's own options override the serializer's).</summary>
    static JsonWriterOptions WriterOptions(JsonSerializerOptions options) =>
        new() { Encoder = options.Encoder, Indented = options.WriteIndented, MaxDepth = options.MaxDepth };

    public static async Task EndAsync(HttpContext http, CancellationToken cancel)
    {
        var pipe = http.Response.BodyWriter;
        pipe.Write(Done);
        await pipe.FlushAsync(cancel);
    }
}
