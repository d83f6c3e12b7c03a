using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Adapters.Host.Tests;

/// <summary>
/// Bodies that are not valid UTF-8 or hold strings that are not valid Unicode, and malformed
/// HTTP framing: each is a 4xx with an OpenAI error body (never a 500), and the server keeps serving.
/// </summary>
[Collection(Stories260KCollection.Name)]
public sealed class EncodingBadInputTests(Stories260KServer fixture)
{
    const string Model = Stories260KServer.ModelName;

    /// <summary>Raw body bytes around a prompt or stop value, and the field the error should name (null = not checked).</summary>
    public static TheoryData<string, byte[], string?> Bodies => new()
    {
        { "invalid UTF-8 byte in prompt", Body("\"prompt\": \"a", [0xFF], "b\""), null },
        { "overlong encoding of '/' in prompt", Body("\"prompt\": \"a", [0xC0, 0xAF], "\""), null },
        { "truncated multi-byte character in stop", Body("\"prompt\": \"a\", \"stop\": \"x", [0xE2, 0x82], "\""), null },
        { "lone high surrogate escape in prompt", Body("\"prompt\": \"a\\ud800b\"", [], ""), "prompt" },
        { "lone low surrogate escape in stop", Body("\"prompt\": \"a\", \"stop\": [\"\\udc00\"]", [], ""), "stop" },
        { "UTF-8 encoded surrogate (CESU) in prompt", Body("\"prompt\": \"a", [0xED, 0xA0, 0x80], "\""), null },
        { "lone surrogate escape in model", Body("\"prompt\": \"a\", \"user\": \"x\", \"model\": \"\\ud800\"", [], ""), null },
        { "invalid UTF-8 in a logit_bias key", Body("\"prompt\": \"a\", \"logit_bias\": {\"", [0xFF], "\": 1}"), null },
    };

    static byte[] Body(string before, byte[] raw, string after) =>
        [.. Encoding.ASCII.GetBytes($"{{\"model\": \"{Model}\", \"max_tokens\": 3, "), .. Encoding.ASCII.GetBytes(before), .. raw, .. Encoding.ASCII.GetBytes(after + "}")];

    [Theory]
    [MemberData(nameof(Bodies))]
    public async Task Invalid_text_is_a_400_not_a_500(string what, byte[] body, string? param)
    {
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new("application/json");
        var response = await fixture.Client.PostAsync("/v1/completions", content);
        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, param);
        Assert.False(string.IsNullOrEmpty(what));
        Assert.DoesNotContain("   at ", error.GetProperty("message").GetString());
        var ok = await fixture.Client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody(Model, "Tom", 2));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Absurd_chunk_size_is_a_400_not_a_500()
    {
        using var socket = new TcpClient();
        await socket.ConnectAsync(fixture.Server.Url.Host, fixture.Server.Url.Port);
        var stream = socket.GetStream();
        byte[] request = Encoding.ASCII.GetBytes(
            "POST /v1/completions HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffffff\r\n{}\r\n0\r\n\r\n");
        await stream.WriteAsync(request);
        var buffer = new byte[4096];
        int read = await stream.ReadAsync(buffer).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        string status = Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0];
        Assert.StartsWith("HTTP/1.1 4", status);
        var ok = await fixture.Client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody(Model, "Tom", 2));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}
