using System.Net;
using System.Text;
using System.Text.Json;

namespace Adapters.Host.Tests;

/// <summary>The wire format of streamed and whole chat completions, read as raw JSON (what any client parses).</summary>
[Collection(AdapterServerCollection.Name)]
public sealed class ChatStreamFormatTests(AdapterServer fixture)
{
    static string Body(bool stream, string extra = "") =>
        $"{{\"model\": \"{AdapterServer.Beta}\", \"messages\": [{{\"role\": \"system\", \"content\": \"Be kind.\"}}, {{\"role\": \"user\", \"content\": \"Lily saw\"}}], \"max_completion_tokens\": 12, \"temperature\": 0, \"stream\": {(stream ? "true" : "false")}{extra}}}";

    [Fact]
    public async Task Stream_is_role_chunk_then_content_then_finish_then_usage_then_done()
    {
        var response = await fixture.Client.PostJsonAsync("/v1/chat/completions", Body(true, ", \"stream_options\": {\"include_usage\": true}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await HttpHelpers.ReadEventsAsync(response);
        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());

        var first = chunks[0].GetProperty("choices")[0].GetProperty("delta");
        Assert.Equal("assistant", first.GetProperty("role").GetString());
        var last = chunks[^2].GetProperty("choices")[0];
        Assert.Equal("length", last.GetProperty("finish_reason").GetString());
        Assert.Empty(last.GetProperty("delta").EnumerateObject());
        var usage = chunks[^1];
        Assert.Equal(0, usage.GetProperty("choices").GetArrayLength());
        Assert.Equal(12, usage.GetProperty("usage").GetProperty("completion_tokens").GetInt32());

        var text = new StringBuilder();
        foreach (var chunk in chunks[1..^2])
        {
            var choice = chunk.GetProperty("choices")[0];
            Assert.Equal(JsonValueKind.Null, choice.GetProperty("finish_reason").ValueKind);
            text.Append(choice.GetProperty("delta").GetProperty("content").GetString());
        }
        var whole = await (await fixture.Client.PostJsonAsync("/v1/chat/completions", Body(false))).ReadJsonAsync();
        Assert.Equal("chat.completion", whole.GetProperty("object").GetString());
        Assert.StartsWith("chatcmpl-", whole.GetProperty("id").GetString());
        var message = whole.GetProperty("choices")[0].GetProperty("message");
        Assert.Equal("assistant", message.GetProperty("role").GetString());
        Assert.Equal(message.GetProperty("content").GetString(), text.ToString());
        Assert.Equal(usage.GetProperty("usage").GetProperty("prompt_tokens").GetInt32(), whole.GetProperty("usage").GetProperty("prompt_tokens").GetInt32());
    }

    [Fact]
    public async Task A_stop_string_ends_the_answer_with_finish_reason_stop()
    {
        var whole = await (await fixture.Client.PostJsonAsync("/v1/chat/completions", Body(false))).ReadJsonAsync();
        string text = whole.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        string stop = text.Trim()[..Math.Min(3, text.Trim().Length)];
        Assert.False(string.IsNullOrEmpty(stop));
        var stopped = await (await fixture.Client.PostJsonAsync("/v1/chat/completions", Body(false, $", \"stop\": [{JsonSerializer.Serialize(stop)}]"))).ReadJsonAsync();
        var choice = stopped.GetProperty("choices")[0];
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(text[..text.IndexOf(stop, StringComparison.Ordinal)], choice.GetProperty("message").GetProperty("content").GetString());
    }
}
