using System.Net;
using System.Text.Json;

namespace Adapters.Host.Tests;

/// <summary>
/// The scheduler backend answers /v1/completions for the base model and for adapters with exactly
/// the text the runtime's own generation loop gives for the same adapter, whole and streamed.
/// </summary>
[Collection(AdapterServerCollection.Name)]
public sealed class SchedulerCompletionTests(AdapterServer fixture)
{
    async Task<string> CompleteAsync(string model, int prompt)
    {
        var response = await fixture.Client.PostJsonAsync("/v1/completions",
            HttpHelpers.CompletionBody(model, AdapterServer.Prompts[prompt], AdapterServer.MaxTokens));
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {json}");
        Assert.Equal(model, json.GetProperty("model").GetString());
        return json.GetProperty("choices")[0].GetProperty("text").GetString()!;
    }

    [Theory]
    [InlineData(AdapterServer.ModelName, "base")]
    [InlineData(AdapterServer.Alpha, AdapterServer.Alpha)]
    [InlineData(AdapterServer.Beta, AdapterServer.Beta)]
    [InlineData(AdapterServer.Gamma, AdapterServer.GammaVersion)]
    public async Task Completion_equals_TextGenerator_over_OnnxAdapterModel(string model, string version)
    {
        for (int p = 0; p < AdapterServer.Prompts.Length; p++)
            Assert.Equal(fixture.Expected[(version, p)], await CompleteAsync(model, p));
    }

    [Fact]
    public async Task Concurrent_requests_for_base_and_two_adapters_share_steps_and_each_get_their_own_text()
    {
        long stepsBefore = fixture.Backend.Scheduler.Steps;
        (string Model, string Version)[] cases = [(AdapterServer.ModelName, "base"), (AdapterServer.Alpha, AdapterServer.Alpha), (AdapterServer.Beta, AdapterServer.Beta)];
        var texts = await Task.WhenAll(cases.Select(c => CompleteAsync(c.Model, 0)));

        for (int i = 0; i < cases.Length; i++) Assert.Equal(fixture.Expected[(cases[i].Version, 0)], texts[i]);
        Assert.True(fixture.Backend.Scheduler.Steps - stepsBefore < cases.Length * AdapterServer.MaxTokens, "the requests were not batched together");
    }

    [Theory]
    [InlineData(AdapterServer.Alpha)]
    [InlineData(AdapterServer.Beta)]
    public async Task Streaming_yields_the_same_text_token_by_token(string adapter)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent(HttpHelpers.CompletionBody(adapter, AdapterServer.Prompts[1], AdapterServer.MaxTokens, stream: true),
                System.Text.Encoding.UTF8, "application/json"),
        };
        using var response = await fixture.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var events = await HttpHelpers.ReadEventsAsync(response);

        Assert.Equal("[DONE]", events[^1]);
        var pieces = events[..^1].Select(e => JsonDocument.Parse(e).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()!).ToList();
        Assert.True(pieces.Count(p => p.Length > 0) > AdapterServer.MaxTokens / 2, $"only {pieces.Count} chunks: not streamed token by token");
        Assert.Equal(fixture.Expected[(adapter, 1)], string.Concat(pieces));
    }

    [Fact]
    public async Task Models_lists_the_base_then_adapters_with_method_rank_and_parent()
    {
        var json = await (await fixture.Client.GetAsync("/v1/models")).ReadJsonAsync();
        var cards = json.GetProperty("data").EnumerateArray().ToDictionary(c => c.GetProperty("id").GetString()!);

        Assert.Equal(AdapterServer.ModelName, json.GetProperty("data")[0].GetProperty("id").GetString());
        Assert.Equal("lora", cards[AdapterServer.Alpha].GetProperty("method").GetString());
        Assert.Equal("loreft", cards[AdapterServer.Beta].GetProperty("method").GetString());
        Assert.Equal(4, cards[AdapterServer.Beta].GetProperty("rank").GetInt32());
        Assert.Equal(AdapterServer.ModelName, cards[AdapterServer.Alpha].GetProperty("parent").GetString());
        Assert.True(cards.ContainsKey(AdapterServer.Gamma), "an exported adapter at the top of the adapter root is served from start");
    }

    [Fact]
    public async Task Unknown_adapter_is_404()
    {
        var response = await fixture.Client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody("no-such-adapter", "x", 4));
        await response.AssertErrorAsync(HttpStatusCode.NotFound);
    }
}
