using System.Net;

namespace Adapters.Host.Tests;

/// <summary>Bad chat requests: each a 4xx in the OpenAI error shape naming the field, with a normal chat request answered right after.</summary>
[Collection(AdapterServerCollection.Name)]
public sealed class ChatBadInputTests(AdapterServer fixture)
{
    const string M = AdapterServer.ModelName;
    const string User = "{\"role\": \"user\", \"content\": \"Lily saw\"}";

    static string Body(string fields) => $"{{\"model\": \"{M}\", {fields}}}";
    static string WithMessages(string extra) => Body($"\"messages\": [{User}], \"max_tokens\": 4{extra}");

    public static TheoryData<string, string, HttpStatusCode, string?> Cases => new()
    {
        { "no messages", Body("\"max_tokens\": 4"), HttpStatusCode.BadRequest, "messages" },
        { "empty messages", Body("\"messages\": []"), HttpStatusCode.BadRequest, "messages" },
        { "messages is a string", Body("\"messages\": \"hi\""), HttpStatusCode.BadRequest, "messages" },
        { "message is a number", Body("\"messages\": [7]"), HttpStatusCode.BadRequest, "messages[0]" },
        { "missing role", Body("\"messages\": [{\"content\": \"hi\"}]"), HttpStatusCode.BadRequest, "messages[0].role" },
        { "wrong role", Body("\"messages\": [{\"role\": \"wizard\", \"content\": \"hi\"}]"), HttpStatusCode.BadRequest, "messages[0].role" },
        { "tool role", Body("\"messages\": [{\"role\": \"tool\", \"content\": \"42\"}]"), HttpStatusCode.BadRequest, "messages[0].role" },
        { "content is a number", Body("\"messages\": [{\"role\": \"user\", \"content\": 5}]"), HttpStatusCode.BadRequest, "messages[0].content" },
        { "content missing", Body("\"messages\": [{\"role\": \"user\"}]"), HttpStatusCode.BadRequest, "messages[0].content" },
        { "image part", Body("\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"image_url\", \"image_url\": {\"url\": \"x\"}}]}]"), HttpStatusCode.BadRequest, "messages[0].content[0].type" },
        { "text part without text", Body("\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\"}]}]"), HttpStatusCode.BadRequest, "messages[0].content[0].text" },
        { "participant name", Body("\"messages\": [{\"role\": \"user\", \"content\": \"hi\", \"name\": \"bob\"}]"), HttpStatusCode.BadRequest, "messages[0].name" },
        { "tool_calls in a message", Body("\"messages\": [{\"role\": \"assistant\", \"content\": \"\", \"tool_calls\": []}]"), HttpStatusCode.BadRequest, "messages[0].tool_calls" },
        { "n of 2", WithMessages(", \"n\": 2"), HttpStatusCode.BadRequest, "n" },
        { "tools", WithMessages(", \"tools\": [{\"type\": \"function\", \"function\": {\"name\": \"f\"}}]"), HttpStatusCode.BadRequest, "tools" },
        { "tool_choice", WithMessages(", \"tool_choice\": \"auto\""), HttpStatusCode.BadRequest, "tool_choice" },
        { "json response_format", WithMessages(", \"response_format\": {\"type\": \"json_object\"}"), HttpStatusCode.BadRequest, "response_format" },
        { "logprobs", WithMessages(", \"logprobs\": true"), HttpStatusCode.BadRequest, "logprobs" },
        { "top_logprobs", WithMessages(", \"top_logprobs\": 2"), HttpStatusCode.BadRequest, "top_logprobs" },
        { "audio modality", WithMessages(", \"modalities\": [\"text\", \"audio\"]"), HttpStatusCode.BadRequest, "modalities" },
        { "max_completion_tokens zero", Body($"\"messages\": [{User}], \"max_completion_tokens\": 0"), HttpStatusCode.BadRequest, "max_completion_tokens" },
        { "max_completion_tokens beyond the context", Body($"\"messages\": [{User}], \"max_completion_tokens\": 100000"), HttpStatusCode.BadRequest, "max_completion_tokens" },
        { "min_p above 1", WithMessages(", \"min_p\": 3"), HttpStatusCode.BadRequest, "min_p" },
        { "unknown adapter", "{\"model\": \"nobody\", \"messages\": [" + User + "]}", HttpStatusCode.NotFound, "model" },
        { "stop is a number", Body("\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"a\"}, {\"type\": \"text\", \"text\": \"b\"}]}], \"max_tokens\": 1, \"stop\": 5"), HttpStatusCode.BadRequest, "stop" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_chat_request_is_a_4xx_naming_the_field_and_chat_keeps_working(string what, string body, HttpStatusCode status, string? param)
    {
        var response = await fixture.Client.PostJsonAsync("/v1/chat/completions", body);
        var error = await response.AssertErrorAsync(status, param);
        Assert.False(string.IsNullOrEmpty(what));
        Assert.DoesNotContain("   at ", error.GetProperty("message").GetString());
        var ok = await fixture.Client.PostJsonAsync("/v1/chat/completions", WithMessages(", \"temperature\": 0"));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }

    [Fact]
    public async Task Unknown_extra_fields_are_ignored_as_OpenAI_does()
    {
        var response = await fixture.Client.PostJsonAsync("/v1/chat/completions", WithMessages(", \"user\": \"u-1\", \"store\": false, \"metadata\": {\"a\": \"b\"}"));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Text_parts_are_joined_and_equal_the_plain_string()
    {
        string parts = Body("\"messages\": [{\"role\": \"user\", \"content\": [{\"type\": \"text\", \"text\": \"Lily \"}, {\"type\": \"text\", \"text\": \"saw\"}]}], \"max_tokens\": 8, \"temperature\": 0");
        string plain = Body($"\"messages\": [{User}], \"max_tokens\": 8, \"temperature\": 0");
        var a = await (await fixture.Client.PostJsonAsync("/v1/chat/completions", parts)).ReadJsonAsync();
        var b = await (await fixture.Client.PostJsonAsync("/v1/chat/completions", plain)).ReadJsonAsync();
        Assert.Equal(b.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(),
            a.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString());
    }
}

/// <summary>A model folder without a chat template answers chat with a clear 400; completions still work.</summary>
[Collection(Stories260KCollection.Name)]
public sealed class ChatWithoutTemplateTests(Stories260KServer fixture)
{
    [Fact]
    public async Task Chat_on_a_folder_without_a_template_is_a_400_and_completions_still_work()
    {
        var response = await fixture.Client.PostJsonAsync("/v1/chat/completions",
            $"{{\"model\": \"{Stories260KServer.ModelName}\", \"messages\": [{{\"role\": \"user\", \"content\": \"hi\"}}]}}");
        var error = await response.AssertErrorAsync(HttpStatusCode.BadRequest, "messages");
        Assert.Equal("chat_template_missing", error.GetProperty("code").GetString());
        var ok = await fixture.Client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody(Stories260KServer.ModelName, "Tom", 2));
        Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
    }
}
