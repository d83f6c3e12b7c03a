using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Adapters.Router.Replicas;

/// <summary>One call of the router to one replica (model lists, admin fan-out): its status and JSON body, or why there was none.</summary>
public sealed record ReplicaAnswer(string Replica, int Status, JsonNode? Body, string? Failure)
{
    public bool Reached => Failure is null;
}

/// <summary>The router's own HTTP calls to replicas (not proxied requests: those go through YARP).</summary>
public sealed class ReplicaClient : IDisposable
{
    /// <summary>Answers larger than this are not read: a model list or an admin answer is a few kilobytes.</summary>
    const int MaxAnswerBytes = 16 * 1024 * 1024;

    readonly HttpClient _http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(2) })
    {
        MaxResponseContentBufferSize = MaxAnswerBytes,
        Timeout = Timeout.InfiniteTimeSpan,
    };

    public async Task<ReplicaAnswer> SendAsync(string replica, HttpMethod method, string path, byte[]? body, string? authorization,
        TimeSpan timeout, CancellationToken cancel)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        limit.CancelAfter(timeout);
        try
        {
            using var request = new HttpRequestMessage(method, new Uri(new Uri(replica), path));
            if (body is not null) request.Content = new ByteArrayContent(body) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } };
            if (authorization is not null) request.Headers.TryAddWithoutValidation("Authorization", authorization);
            using var response = await _http.SendAsync(request, limit.Token);
            string text = await response.Content.ReadAsStringAsync(limit.Token);
            JsonNode? json;
            try { json = text.Length == 0 ? null : JsonNode.Parse(text); }
            catch (System.Text.Json.JsonException) { json = JsonValue.Create(text); }
            return new ReplicaAnswer(replica, (int)response.StatusCode, json, null);
        }
        catch (OperationCanceledException) when (!cancel.IsCancellationRequested)
        {
            return new ReplicaAnswer(replica, 0, null, $"no answer within {timeout.TotalSeconds:0.#} s");
        }
        catch (HttpRequestException e)
        {
            return new ReplicaAnswer(replica, 0, null, e.Message);
        }
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);

    public void Dispose() => _http.Dispose();
}
