using System.ClientModel;
using System.Text;
using Adapters.Core.Chat;
using Adapters.Runtime.Chat;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using OpenAI.Models;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;
using OpenAiChatMessage = OpenAI.Chat.ChatMessage;

namespace Adapters.Host.Tests;

/// <summary>
/// /v1/chat/completions driven by the official clients — the OpenAI .NET SDK's ChatClient and
/// OpenAIModelClient, and Microsoft.Extensions.AI's IChatClient over it — for the base model, a
/// LoRA and a LoReFT adapter, greedy: each answers what the in-process <see cref="AdaptersChatClient"/>
/// answers and what `adapters generate` prints for the rendered prompt.
/// </summary>
[Collection(AdapterServerCollection.Name)]
public sealed class ChatClientTests(AdapterServer fixture)
{
    const int MaxTokens = 24;
    const string System = "Be kind.", User = "Lily saw";

    public static TheoryData<string?> Models => new() { null, AdapterServer.Alpha, AdapterServer.Beta };

    OpenAIClientOptions Options => new() { Endpoint = new Uri(fixture.Server.Url, "v1"), NetworkTimeout = TimeSpan.FromMinutes(2) };
    static readonly ApiKeyCredential Key = new("no-key-needed");

    string ModelId(string? adapter) => adapter ?? AdapterServer.ModelName;

    /// <summary>What `adapters generate` prints after the rendered prompt: the template's leading "&lt;s&gt;" is the BOS generate prepends.</summary>
    string Expected(string? adapter)
    {
        string rendered = fixture.Backend.Chat!.Render([new("system", System), new("user", User)]);
        Assert.StartsWith("<s>", rendered);
        return fixture.ReferenceText(adapter, rendered["<s>".Length..], MaxTokens);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void OpenAI_sdk_CompleteChat_answers_the_reference_text(string? adapter)
    {
        var client = new ChatClient(ModelId(adapter), Key, Options);
        var completion = client.CompleteChat(
            [new SystemChatMessage(System), new UserChatMessage(User)],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = MaxTokens }).Value;
        Assert.Equal(Expected(adapter), completion.Content[0].Text);
        Assert.Equal(ChatMessageRole.Assistant, completion.Role);
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Length, completion.FinishReason);
        int promptTokens = fixture.Backend.Chat!.Encode([new("system", System), new("user", User)]).Count;
        Assert.Equal(promptTokens, completion.Usage.InputTokenCount);
        Assert.Equal(MaxTokens, completion.Usage.OutputTokenCount);
        Assert.Equal(ModelId(adapter), completion.Model);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void OpenAI_sdk_streaming_deltas_concatenate_to_the_reference_text(string? adapter)
    {
        var client = new ChatClient(ModelId(adapter), Key, Options);
        var text = new StringBuilder();
        OpenAI.Chat.ChatFinishReason? finish = null;
        ChatTokenUsage? usage = null;
        int updates = 0;
        foreach (var update in client.CompleteChatStreaming(
            [new SystemChatMessage(System), new UserChatMessage(User)],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = MaxTokens }))
        {
            updates++;
            foreach (var part in update.ContentUpdate) text.Append(part.Text);
            finish ??= update.FinishReason;
            usage ??= update.Usage;
        }
        Assert.Equal(Expected(adapter), text.ToString());
        Assert.True(updates > 3, $"expected token-by-token updates, got {updates}");
        Assert.Equal(OpenAI.Chat.ChatFinishReason.Length, finish);
        Assert.NotNull(usage); // the SDK asks for include_usage
        Assert.Equal(MaxTokens, usage.OutputTokenCount);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Extensions_AI_over_the_OpenAI_client_and_the_in_process_client_answer_alike(string? adapter)
    {
        List<AiChatMessage> messages = [new(ChatRole.System, System), new(ChatRole.User, User)];
        var options = new ChatOptions { Temperature = 0, MaxOutputTokens = MaxTokens, ModelId = adapter };
        IChatClient overHttp = new ChatClient(ModelId(adapter), Key, Options).AsIChatClient();
        var remote = await overHttp.GetResponseAsync(messages, new ChatOptions { Temperature = 0, MaxOutputTokens = MaxTokens });

        using var local = AdaptersChatClient.Open(fixture.ModelFolder, new AdaptersChatClientOptions { ModelName = AdapterServer.ModelName, Threads = 2, Log = _ => { } });
        var inProcess = await local.GetResponseAsync(messages, options);
        var streamed = new StringBuilder();
        UsageDetails? usage = null;
        await foreach (var update in local.GetStreamingResponseAsync(messages, options))
        {
            streamed.Append(update.Text);
            usage ??= update.Contents.OfType<UsageContent>().FirstOrDefault()?.Details;
        }

        string expected = Expected(adapter);
        Assert.Equal(expected, remote.Text);
        Assert.Equal(expected, inProcess.Text);
        Assert.Equal(expected, streamed.ToString());
        Assert.Equal(Microsoft.Extensions.AI.ChatFinishReason.Length, inProcess.FinishReason);
        Assert.Equal(MaxTokens, inProcess.Usage?.OutputTokenCount);
        Assert.Equal(remote.Usage?.InputTokenCount, inProcess.Usage?.InputTokenCount);
        Assert.Equal(MaxTokens, usage?.OutputTokenCount);
    }

    [Fact]
    public void OpenAI_model_client_lists_and_retrieves_the_base_model_and_adapters()
    {
        var models = new OpenAIModelClient(Key, Options);
        var ids = models.GetModels().Value.Select(m => m.Id).ToList();
        Assert.Contains(AdapterServer.ModelName, ids);
        Assert.Contains(AdapterServer.Alpha, ids);
        Assert.Contains(AdapterServer.Beta, ids);
        Assert.Equal(AdapterServer.Beta, models.GetModel(AdapterServer.Beta).Value.Id);
        var missing = Assert.Throws<ClientResultException>(() => models.GetModel("no-such-model"));
        Assert.Equal(404, missing.Status);
    }

    [Fact]
    public void In_process_client_refuses_what_it_does_not_implement_naming_it()
    {
        using var local = AdaptersChatClient.Open(fixture.ModelFolder, new AdaptersChatClientOptions { ModelName = AdapterServer.ModelName, Threads = 2, Log = _ => { } });
        List<AiChatMessage> messages = [new(ChatRole.User, User)];
        var tools = Assert.Throws<NotSupportedException>(() => local.GetResponseAsync(messages, new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "one")] }).GetAwaiter().GetResult());
        Assert.Contains("ChatOptions.Tools", tools.Message);
        var json = Assert.Throws<NotSupportedException>(() => local.GetResponseAsync(messages, new ChatOptions { ResponseFormat = Microsoft.Extensions.AI.ChatResponseFormat.Json }).GetAwaiter().GetResult());
        Assert.Contains("ChatOptions.ResponseFormat", json.Message);
        var extra = Assert.Throws<NotSupportedException>(() => local.GetResponseAsync(messages, new ChatOptions { AdditionalProperties = new() { ["mirostat"] = 2 } }).GetAwaiter().GetResult());
        Assert.Contains("mirostat", extra.Message);
        var unknown = Assert.Throws<ArgumentException>(() => local.GetResponseAsync(messages, new ChatOptions { ModelId = "nobody" }).GetAwaiter().GetResult());
        Assert.Contains("nobody", unknown.Message);
    }
}
