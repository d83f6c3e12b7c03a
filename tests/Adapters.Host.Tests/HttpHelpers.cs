using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Adapters.Host.Tests;

/// <summary>Small HTTP helpers: JSON posts, OpenAI error checks, server-sent event reading.</summary>
public static class HttpHelpers
{
    /// <summary>Every call in these tests is local and small; a hung server fails the test instead of the run.</summary>
    static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(30);

    public static HttpClient NewClient(Uri baseAddress) => new() { BaseAddress = baseAddress, Timeout = ClientTimeout };

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, string json, string? bearer = null, CancellationToken cancel = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        return client.SendAsync(request, cancel);
    }

    public static async Task<JsonElement> ReadJsonAsync(this HttpResponseMessage response)
    {
        string body = await response.Content.ReadAsStringAsync();
        try { return JsonDocument.Parse(body).RootElement.Clone(); }
        catch (JsonException e) { throw new Xunit.Sdk.XunitException($"not JSON ({e.Message}): {body}"); }
    }

    /// <summary>Asserts the status and an OpenAI error body; returns the error object.</summary>
    public static async Task<JsonElement> AssertErrorAsync(this HttpResponseMessage response, HttpStatusCode status, string? param = null)
    {
        var json = await response.ReadJsonAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {json}");
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var error = json.GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()), $"empty message: {json}");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("type").GetString()), $"empty type: {json}");
        Assert.True(error.TryGetProperty("param", out _) && error.TryGetProperty("code", out _), $"param and code must be present: {json}");
        if (param is not null) Assert.Equal(param, error.GetProperty("param").GetString());
        return error;
    }

    /// <summary>The data lines of a server-sent event stream, in order ("[DONE]" included).</summary>
    public static async Task<List<string>> ReadEventsAsync(HttpResponseMessage response)
    {
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var events = new List<string>();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        string? line;
        while ((line = await reader.ReadLineAsync()) is not null)
        {
            if (line.Length == 0) continue;
            Assert.StartsWith("data: ", line);
            events.Add(line["data: ".Length..]);
        }
        return events;
    }

    public static string CompletionBody(string model, string prompt, int maxTokens, double temperature = 0, int? seed = null, double? topP = null, bool stream = false, string? stopJson = null)
    {
        var fields = new List<string>
        {
            $"\"model\": {JsonSerializer.Serialize(model)}",
            $"\"prompt\": {JsonSerializer.Serialize(prompt)}",
            $"\"max_tokens\": {maxTokens}",
            $"\"temperature\": {temperature.ToString(System.Globalization.CultureInfo.InvariantCulture)}",
        };
        if (seed is not null) fields.Add($"\"seed\": {seed}");
        if (topP is not null) fields.Add($"\"top_p\": {topP.Value.ToString(System.Globalization.CultureInfo.InvariantCulture)}");
        if (stream) fields.Add("\"stream\": true");
        if (stopJson is not null) fields.Add($"\"stop\": {stopJson}");
        return "{" + string.Join(", ", fields) + "}";
    }
}
