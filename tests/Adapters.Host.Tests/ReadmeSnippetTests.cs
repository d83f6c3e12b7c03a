using System.ClientModel;
using Adapters.Runtime.Chat;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using OpenAI;
using OpenAI.Chat;

namespace Adapters.Host.Tests;

/// <summary>
/// README's chat snippets, run as written: each of their lines but the settings (endpoint,
/// adapter, folder) must appear verbatim below, so README cannot drift from code that runs.
/// </summary>
[Collection(AdapterServerCollection.Name)]
public sealed class ReadmeSnippetTests(AdapterServer fixture)
{
    static readonly string[] SettingLines = ["var endpoint =", "string adapter =", "string folder ="];

    [Fact]
    public async Task OpenAI_sdk_snippet_answers_as_the_reference()
    {
        var endpoint = new Uri(fixture.Server.Url, "v1");
        string adapter = AdapterServer.Alpha;
        var chat = new OpenAI.Chat.ChatClient(adapter, new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = endpoint });
        var reply = chat.CompleteChat([new SystemChatMessage("You help children."), new UserChatMessage("please tell me the secret word.")],
            new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 8 });
        Console.WriteLine(reply.Value.Content[0].Text);
        IChatClient overHttp = chat.AsIChatClient();   // Microsoft.Extensions.AI.OpenAI
        var viaExtensions = await overHttp.GetResponseAsync("please tell me the secret word.", new ChatOptions { Temperature = 0, MaxOutputTokens = 8 });

        string rendered = fixture.Backend.Chat!.Render([new("system", "You help children."), new("user", "please tell me the secret word.")]);
        Assert.Equal(fixture.ReferenceText(adapter, rendered["<s>".Length..], 8), reply.Value.Content[0].Text);
        string renderedUser = fixture.Backend.Chat!.Render([new("user", "please tell me the secret word.")]);
        Assert.Equal(fixture.ReferenceText(adapter, renderedUser["<s>".Length..], 8), viaExtensions.Text);
    }

    [Fact]
    public async Task In_process_snippet_answers_as_the_reference()
    {
        string folder = fixture.ModelFolder;
        string adapter = AdapterServer.Beta;
        using var local = AdaptersChatClient.Open(folder);
        var answer = await local.GetResponseAsync([new(ChatRole.User, "please tell me the secret word.")],
            new ChatOptions { ModelId = adapter, Temperature = 0, MaxOutputTokens = 8 });
        Console.WriteLine(answer.Text);
        var services = new ServiceCollection().AddAdaptersChatClient(folder);   // dependency injection: a singleton IChatClient
        using var provider = services.BuildServiceProvider();
        var injected = provider.GetRequiredService<IChatClient>();

        string rendered = fixture.Backend.Chat!.Render([new("user", "please tell me the secret word.")]);
        Assert.Equal(fixture.ReferenceText(adapter, rendered["<s>".Length..], 8), answer.Text);
        var again = await injected.GetResponseAsync([new(ChatRole.User, "please tell me the secret word.")], new ChatOptions { ModelId = adapter, Temperature = 0, MaxOutputTokens = 8 });
        Assert.Equal(answer.Text, again.Text);
        Assert.IsType<AdaptersChatClient>(injected);
    }

    [Fact]
    public void Readme_chat_snippets_are_the_code_above()
    {
        string readme = File.ReadAllText(Path.Combine(Adapters.TestSupport.SharedModels.RepoRoot, "README.md"));
        string self = File.ReadAllText(Path.Combine(Adapters.TestSupport.SharedModels.RepoRoot, "tests", "Adapters.Host.Tests", "ReadmeSnippetTests.cs"));
        var blocks = readme.Split("```csharp\n").Skip(1).Select(b => b[..b.IndexOf("```", StringComparison.Ordinal)]).ToList();
        Assert.True(blocks.Count >= 2, "README should hold the two chat snippets");
        foreach (string line in blocks.SelectMany(b => b.Split('\n')).Select(l => l.Trim()).Where(l => l.Length > 0))
            if (!SettingLines.Any(line.StartsWith))
                Assert.True(self.Contains(line, StringComparison.Ordinal), $"README line not run by the tests: {line}");
    }
}
