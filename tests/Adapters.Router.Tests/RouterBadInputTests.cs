using System.Net;
using System.Text;
using System.Text.Json;

namespace Adapters.Router.Tests;

/// <summary>Whatever a client sends, the router answers a clear 4xx itself and the replica never sees it.</summary>
public class RouterBadInputTests
{
    static async Task AssertError(HttpResponseMessage response, HttpStatusCode status, string? fragment = null)
    {
        string body = await response.Content.ReadAsStringAsync();
        Assert.True(status == response.StatusCode, $"expected {(int)status}, got {(int)response.StatusCode}: {body}");
        var error = JsonDocument.Parse(body).RootElement.GetProperty("error");
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("message").GetString()));
        if (fragment is not null) Assert.Contains(fragment, error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Malformed_bodies_are_400_and_never_forwarded()
    {
        await using var f = await RouterFixture.StartAsync(1);
        await AssertError(await f.PostAsync("v1/completions", "{not json", null), HttpStatusCode.BadRequest, "not valid JSON");
        await AssertError(await f.PostAsync("v1/completions", "", null), HttpStatusCode.BadRequest, "empty");
        await AssertError(await f.PostAsync("v1/completions", "[1,2]", null), HttpStatusCode.BadRequest, "JSON object");
        await AssertError(await f.PostAsync("v1/completions", "{\"prompt\":\"hi\"}", null), HttpStatusCode.BadRequest, "model is required");
        await AssertError(await f.PostAsync("v1/chat/completions", "{\"model\":42}", null), HttpStatusCode.BadRequest, "model must be a string");
        await AssertError(await f.PostAsync("v1/completions", "{\"model\":\"  \"}", null), HttpStatusCode.BadRequest, "empty");
        await AssertError(await f.PostAsync("v1/completions", "{\"model\":\"\\ud800\"}", null), HttpStatusCode.BadRequest);
        var invalidUtf8 = new ByteArrayContent([(byte)'{', (byte)'"', (byte)'m', (byte)'"', (byte)':', (byte)'"', 0xC3, 0x28, (byte)'"', (byte)'}']);
        await AssertError(await f.Client.PostAsync("v1/completions", invalidUtf8), HttpStatusCode.BadRequest);
        Assert.Equal(0, f.Replicas[0].Completions);
    }

    [Fact]
    public async Task A_huge_body_is_413_whether_or_not_its_length_is_announced()
    {
        await using var f = await RouterFixture.StartAsync(1);
        string huge = "{\"model\":\"m\",\"prompt\":\"" + new string('a', 5 * 1024 * 1024) + "\"}";
        // Expect: 100-continue lets the router refuse on Content-Length before the client sends the body.
        var announced = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = new StringContent(huge, Encoding.UTF8, "application/json") };
        announced.Headers.ExpectContinue = true;
        await AssertError(await f.Client.SendAsync(announced), HttpStatusCode.RequestEntityTooLarge);
        // Chunked, just over the limit (the rest fits the socket buffers, so the client can read the refusal).
        string over = "{\"model\":\"m\",\"prompt\":\"" + new string('a', Endpoints.RequestBody.MaxBytes) + "\"}";
        var chunked = new StreamContent(new MemoryStream(Encoding.UTF8.GetBytes(over)));
        chunked.Headers.ContentType = new("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "v1/completions") { Content = chunked };
        request.Headers.TransferEncodingChunked = true;
        await AssertError(await f.Client.SendAsync(request), HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, f.Replicas[0].Completions);
    }

    [Fact]
    public async Task Unknown_paths_and_methods_are_404_and_admin_calls_need_the_token()
    {
        await using var f = await RouterFixture.StartAsync(1);
        await AssertError(await f.Client.GetAsync("v1/completions"), HttpStatusCode.NotFound, "no endpoint");
        await AssertError(await f.Client.GetAsync("v1/nothing"), HttpStatusCode.NotFound);
        await AssertError(await f.PostAsync("v1/load_lora_adapter", "{\"lora_name\":\"x\",\"lora_path\":\"x\"}", bearer: null), HttpStatusCode.Unauthorized);
        await AssertError(await f.PostAsync("v1/load_lora_adapter", "{\"lora_name\":\"x\"}", bearer: "wrong"), HttpStatusCode.Unauthorized);
        await AssertError(await f.PostAsync("v1/load_lora_adapter", "{oops"), HttpStatusCode.BadRequest);
        await AssertError(await f.PostAsync("v1/unload_lora_adapter", "{\"lora_name\":3}"), HttpStatusCode.BadRequest, "lora_name");
        Assert.Empty(f.Replicas[0].AdminCalls);
    }

    [Fact]
    public void Bad_options_are_refused_naming_them()
    {
        Assert.Contains("at least one replica", Assert.Throws<ArgumentException>(() => new RouterOptions().Validate()).Message);
        Assert.Contains("without a path", Assert.Throws<ArgumentException>(() => new RouterOptions { Replicas = [new Uri("http://a:1/v1")] }.Validate()).Message);
        Assert.Contains("NAME:PORT", Assert.Throws<ArgumentException>(() => new RouterOptions { ReplicaDns = "svc" }.Validate()).Message);
        Assert.Contains("load factor", Assert.Throws<ArgumentException>(() => new RouterOptions { Replicas = [new Uri("http://a:1/")], LoadFactor = 0.9 }.Validate()).Message);
        Assert.Contains("admin token", Assert.Throws<ArgumentException>(() =>
            new RouterOptions { Replicas = [new Uri("http://a:1/")], BindAddress = IPAddress.Any }.Validate()).Message);
    }
}
