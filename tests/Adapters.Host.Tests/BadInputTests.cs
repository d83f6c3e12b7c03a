using System.Net;

namespace Adapters.Host.Tests;

/// <summary>Every bad input gets a 4xx with an OpenAI error body, and the server keeps serving.</summary>
[Collection(Stories260KCollection.Name)]
public sealed class BadInputTests(Stories260KServer fixture)
{
    const string Model = Stories260KServer.ModelName;

    /// <summary>Body, expected status, expected param (null = not checked).</summary>
    public static TheoryData<string, string, HttpStatusCode, string?> Cases => new()
    {
        { "malformed JSON", "{\"model\": \"stories260K\", \"prompt\": ", HttpStatusCode.BadRequest, null },
        { "empty body", "", HttpStatusCode.BadRequest, null },
        { "JSON array body", "[1, 2]", HttpStatusCode.BadRequest, null },
        { "JSON null body", "null", HttpStatusCode.BadRequest, null },
        { "wrong type for max_tokens", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"max_tokens\": \"ten\"}", HttpStatusCode.BadRequest, "max_tokens" },
        { "missing model", "{\"prompt\": \"a\"}", HttpStatusCode.BadRequest, "model" },
        { "unknown model", "{\"model\": \"no-such-adapter\", \"prompt\": \"a\"}", HttpStatusCode.NotFound, "model" },
        { "missing prompt", "{\"model\": \"stories260K\"}", HttpStatusCode.BadRequest, "prompt" },
        { "prompt is a number", "{\"model\": \"stories260K\", \"prompt\": 7}", HttpStatusCode.BadRequest, "prompt" },
        { "negative max_tokens", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"max_tokens\": -5}", HttpStatusCode.BadRequest, "max_tokens" },
        { "zero max_tokens", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"max_tokens\": 0}", HttpStatusCode.BadRequest, "max_tokens" },
        { "huge max_tokens", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"max_tokens\": 99999999999}", HttpStatusCode.BadRequest, "max_tokens" },
        { "negative temperature", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"temperature\": -1}", HttpStatusCode.BadRequest, "temperature" },
        { "top_p zero", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"top_p\": 0}", HttpStatusCode.BadRequest, "top_p" },
        { "seed beyond 32 bits", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"seed\": 99999999999}", HttpStatusCode.BadRequest, "seed" },
        { "stop is a number", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"stop\": 3}", HttpStatusCode.BadRequest, "stop" },
        { "empty stop string", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"stop\": [\"\"]}", HttpStatusCode.BadRequest, "stop" },
        { "n of 2", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"n\": 2}", HttpStatusCode.BadRequest, "n" },
        { "top_k below -1", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"top_k\": -2}", HttpStatusCode.BadRequest, "top_k" },
        { "min_p above 1", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"min_p\": 1.5}", HttpStatusCode.BadRequest, "min_p" },
        { "repetition_penalty zero", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"repetition_penalty\": 0}", HttpStatusCode.BadRequest, "repetition_penalty" },
        { "presence_penalty beyond 2", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"presence_penalty\": 2.5}", HttpStatusCode.BadRequest, "presence_penalty" },
        { "frequency_penalty beyond -2", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"frequency_penalty\": -2.5}", HttpStatusCode.BadRequest, "frequency_penalty" },
        { "logit_bias is a list", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"logit_bias\": [1]}", HttpStatusCode.BadRequest, "logit_bias" },
        { "logit_bias token outside the vocabulary", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"logit_bias\": {\"512\": 1}}", HttpStatusCode.BadRequest, "logit_bias" },
        { "logit_bias key not a number", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"logit_bias\": {\"dog\": 1}}", HttpStatusCode.BadRequest, "logit_bias" },
        { "logit_bias value beyond 100", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"logit_bias\": {\"5\": 101}}", HttpStatusCode.BadRequest, "logit_bias" },
        { "suffix", "{\"model\": \"stories260K\", \"prompt\": \"a\", \"suffix\": \"end\"}", HttpStatusCode.BadRequest, "suffix" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_completion_request_is_a_4xx_with_an_error_body_and_the_server_keeps_serving(string what, string body, HttpStatusCode status, string? param)
    {
        var response = await fixture.Client.PostJsonAsync("/v1/completions", body);
        var error = await response.AssertErrorAsync(status, param);
        Assert.False(string.IsNullOrEmpty(what));
        Assert.DoesNotContain("   at ", error.GetProperty("message").GetString()); // no stack traces leak
        await AssertStillServes();
    }

    [Fact]
    public async Task Max_tokens_beyond_the_room_left_names_the_limit()
    {
        const string prompt = "Once upon a time";
        int promptTokens = fixture.Tokenizer.Encode(prompt).Count;
        int context = fixture.Reference.Config.MaxSeqLen;
        int room = context - promptTokens;
        var response = await fixture.Client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody(Model, prompt, room + 1));
        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "max_tokens");
        string message = error.GetProperty("message").GetString()!;
        Assert.Contains($"at most {room} tokens", message);
        Assert.Contains(context.ToString(), message);

        var exact = await fixture.Client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody(Model, prompt, room));
        Assert.Equal(HttpStatusCode.OK, exact.StatusCode); // the limit itself is allowed
    }

    [Fact]
    public async Task Prompt_longer_than_the_context_names_both_numbers()
    {
        string prompt = string.Join(" ", Enumerable.Repeat("dog", 700));
        int promptTokens = fixture.Tokenizer.Encode(prompt).Count;
        int context = fixture.Reference.Config.MaxSeqLen;
        Assert.True(promptTokens > context);
        var response = await fixture.Client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody(Model, prompt, 1));
        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "prompt");
        string message = error.GetProperty("message").GetString()!;
        Assert.Contains(promptTokens.ToString(), message);
        Assert.Contains(context.ToString(), message);
        Assert.Equal("context_length_exceeded", error.GetProperty("code").GetString());
        await AssertStillServes();
    }

    [Fact]
    public async Task Unknown_route_is_a_404_error_body()
    {
        var response = await fixture.Client.GetAsync("/v1/chat/nothing");
        await response.AssertErrorAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Oversized_body_is_413_with_an_error_body()
    {
        string prompt = new('a', 5 * 1024 * 1024);
        // Expect: 100-continue lets the server refuse on Content-Length before the client sends the body.
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/completions")
        {
            Content = new StringContent(HttpHelpers.CompletionBody(Model, prompt, 1), System.Text.Encoding.UTF8, "application/json"),
        };
        request.Headers.ExpectContinue = true;
        var response = await fixture.Client.SendAsync(request);
        await response.AssertErrorAsync(HttpStatusCode.RequestEntityTooLarge);
        await AssertStillServes();
    }

    async Task AssertStillServes()
    {
        var ok = await fixture.Client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody(Model, "Tom", 4));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}
