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

    [Fact]
    public async Task Sampling_fields_are_applied_as_TextGenerator_applies_them()
    {
        // Greedy with a repetition penalty and a bias, then seeded sampling with top_k and min_p:
        // the server's text equals the shared generation loop's with the same options, and differs
        // from the plain greedy text (the fields are not ignored).
        string greedy = Expected(Prompt, MaxTokens, SamplingOptions.Greedy);
        int biased = fixture.Tokenizer.Encode(" the", addBos: false)[^1];
        var cases = new (string Fields, SamplingOptions Options)[]
        {
            ($"\"temperature\": 0, \"repetition_penalty\": 1.8, \"frequency_penalty\": 0.5, \"logit_bias\": {{\"{biased}\": 3}}",
                SamplingOptions.Greedy with { RepetitionPenalty = 1.8f, FrequencyPenalty = 0.5f, LogitBias = new Dictionary<int, float> { [biased] = 3 } }),
            ("\"temperature\": 1.2, \"top_k\": 5, \"min_p\": 0.1, \"presence_penalty\": 1, \"seed\": 77",
                new SamplingOptions { Temperature = 1.2f, TopK = 5, MinP = 0.1f, PresencePenalty = 1, Seed = 77 }),
        };
        foreach (var (fields, options) in cases)
        {
            string body = $"{{\"model\": \"{Stories260KServer.ModelName}\", \"prompt\": \"{Prompt}\", \"max_tokens\": {MaxTokens}, {fields}}}";
            var json = await (await fixture.Client.PostJsonAsync("/v1/completions", body)).ReadJsonAsync();
            string text = json.GetProperty("choices")[0].GetProperty("text").GetString()!;
            Assert.Equal(Expected(Prompt, MaxTokens, options), text);
            Assert.NotEqual(greedy, text);
        }
    }

    [Fact]
    public async Task Get_model_by_id_answers_the_card_and_404_for_unknown()
    {
        var card = await (await fixture.Client.GetAsync($"/v1/models/{Stories260KServer.ModelName}")).ReadJsonAsync();
        Assert.Equal(Stories260KServer.ModelName, card.GetProperty("id").GetString());
        Assert.Equal("model", card.GetProperty("object").GetString());
        var missing = await fixture.Client.GetAsync("/v1/models/no-such-model");
        var error = await missing.AssertErrorAsync(HttpStatusCode.NotFound, "model");
        Assert.Equal("model_not_found", error.GetProperty("code").GetString());
    }
}
