using System.Net;
using System.Text;
using System.Text.Json;
using Adapters.Core.Generation;

namespace Adapters.Host.Tests;

/// <summary>POST /v1/completions on the real stories260K server agrees with the runtime's own generation loop.</summary>
[Collection(Stories260KCollection.Name)]
public sealed class CompletionTests(Stories260KServer fixture)
{
    const string Prompt = "Lily saw";
    const int MaxTokens = 40;

    /// <summary>The completion the CLI would print after the prompt, from TextGenerator on the same export.</summary>
    string Expected(string prompt, int maxTokens, SamplingOptions sampling)
    {
        string full = TextGenerator.GenerateText(fixture.Reference, fixture.Tokenizer, prompt, maxTokens, sampling);
        Assert.StartsWith(prompt, full);
        return full[prompt.Length..];
    }

    [Fact]
    public async Task Greedy_completion_equals_TextGenerator()
    {
        var response = await fixture.Client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody(Stories260KServer.ModelName, Prompt, MaxTokens));
        var json = await response.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);

        Assert.Equal(Expected(Prompt, MaxTokens, SamplingOptions.Greedy), json.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal("text_completion", json.GetProperty("object").GetString());
        Assert.StartsWith("cmpl-", json.GetProperty("id").GetString());
        Assert.True(json.GetProperty("created").GetInt64() > 0);
        Assert.Equal(Stories260KServer.ModelName, json.GetProperty("model").GetString());
        Assert.Equal("length", json.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        var usage = json.GetProperty("usage");
        int promptTokens = fixture.Tokenizer.Encode(Prompt).Count;
        Assert.Equal(promptTokens, usage.GetProperty("prompt_tokens").GetInt32());
        Assert.Equal(MaxTokens, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(promptTokens + MaxTokens, usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Seeded_sampling_equals_TextGenerator_and_repeats()
    {
        const int seed = 1234;
        string body = HttpHelpers.CompletionBody(Stories260KServer.ModelName, Prompt, MaxTokens, temperature: 0.8, seed: seed, topP: 0.9);
        var first = await (await fixture.Client.PostJsonAsync("/v1/completions", body)).ReadJsonAsync();
        var second = await (await fixture.Client.PostJsonAsync("/v1/completions", body)).ReadJsonAsync();

        string expected = Expected(Prompt, MaxTokens, new SamplingOptions { Temperature = 0.8f, TopP = 0.9f, Seed = seed });
        Assert.Equal(expected, first.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal(expected, second.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Empty_prompt_generates_llama2c_opening_and_stops_at_eos_or_length()
    {
        var response = await fixture.Client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody(Stories260KServer.ModelName, "", 60));
        var json = await response.ReadJsonAsync();
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(Expected("", 60, SamplingOptions.Greedy), json.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.StartsWith("Once upon a time", json.GetProperty("choices")[0].GetProperty("text").GetString());
    }

    [Fact]
    public async Task Streaming_yields_the_same_text_piece_by_piece_then_done()
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent(HttpHelpers.CompletionBody(Stories260KServer.ModelName, Prompt, MaxTokens, stream: true)
                .Replace("}", ", \"stream_options\": {\"include_usage\": true}}"), Encoding.UTF8, "application/json"),
        };
        using var response = await fixture.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await HttpHelpers.ReadEventsAsync(response);

        Assert.Equal("[DONE]", events[^1]);
        var chunks = events[..^1].Select(e => JsonDocument.Parse(e).RootElement).ToList();
        var textChunks = chunks.Where(c => c.GetProperty("choices").GetArrayLength() == 1).ToList();
        Assert.True(textChunks.Count > MaxTokens / 2, $"expected about one chunk per token, got {textChunks.Count}");
        Assert.All(chunks, c => Assert.Equal("text_completion", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());

        string text = string.Concat(textChunks.Select(c => c.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.Equal(Expected(Prompt, MaxTokens, SamplingOptions.Greedy), text);
        Assert.All(textChunks[..^1], c => Assert.Equal(JsonValueKind.Null, c.GetProperty("choices")[0].GetProperty("finish_reason").ValueKind));
        Assert.Equal("length", textChunks[^1].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(MaxTokens, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Stop_string_cuts_the_text_before_it_in_whole_and_streamed_answers()
    {
        string full = Expected(Prompt, MaxTokens, SamplingOptions.Greedy);
        // A stop string from the middle of the expected text: the answer must end right before it.
        string stop = full.Substring(full.Length / 2, 4);
        string before = full[..full.IndexOf(stop, StringComparison.Ordinal)];
        string body = HttpHelpers.CompletionBody(Stories260KServer.ModelName, Prompt, MaxTokens, stopJson: JsonSerializer.Serialize(new[] { "zzz-never", stop }));

        var whole = await (await fixture.Client.PostJsonAsync("/v1/completions", body)).ReadJsonAsync();
        Assert.Equal(before, whole.GetProperty("choices")[0].GetProperty("text").GetString());
        Assert.Equal("stop", whole.GetProperty("choices")[0].GetProperty("finish_reason").GetString());

        using var streamed = await fixture.Client.PostJsonAsync("/v1/completions", body.Replace("}", ", \"stream\": true}"));
        var events = await HttpHelpers.ReadEventsAsync(streamed);
        string text = string.Concat(events[..^1].Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()));
        Assert.Equal(before, text);
    }

    [Fact]
    public async Task Concurrent_requests_each_get_their_own_answer()
    {
        string[] prompts = ["Lily saw", "Tom had a", "The cat", "One day", "Once upon a time"];
        var answers = await Task.WhenAll(prompts.Select(async p =>
            (await (await fixture.Client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody(Stories260KServer.ModelName, p, 24))).ReadJsonAsync())
            .GetProperty("choices")[0].GetProperty("text").GetString()));
        for (int i = 0; i < prompts.Length; i++) Assert.Equal(Expected(prompts[i], 24, SamplingOptions.Greedy), answers[i]);
    }
}
