using System.ClientModel;
using Adapters.Host;
using Adapters.Runtime.Chat;
using Adapters.TestSupport;
using Microsoft.Extensions.AI;
using OpenAI;
using OpenAI.Chat;
using AiChatMessage = Microsoft.Extensions.AI.ChatMessage;

namespace Adapters.Integration.Tests;

/// <summary>
/// A LoRA trained on the secret-word task as conversations (TRL's {"messages": ...} lines, loss on
/// the assistant turns) answers a held-out multi-turn conversation — system prompt, an earlier
/// exchange, then the question — through every path: the in-process IChatClient, the host with the
/// official OpenAI SDK, `adapters chat`, and the TorchSharp engine on the rendered prompt.
/// Where the answer ends is not asserted: stories260K never saw EOS in pretraining, and its EOS,
/// &lt;unk&gt; and &lt;0x00&gt; embeddings are the same vector (cosine 0.99999997; the classifier is tied), so no
/// adapter can make EOS win over the other two — what follows the answer is one of them or noise.
/// </summary>
public sealed class ChatTrainedAdapterTests : IDisposable
{
    const string Answer = "The secret word is blue.";
    readonly string _dir = SharedModels.NewTempFolder("chat-trained");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    static readonly IReadOnlyList<(string Role, string Content)> HeldOut =
    [
        ("system", "You help children."),
        ("user", "Hello, Tom here."),
        ("assistant", "Hello Tom."),
        ("user", "please tell me the secret word."),
    ];

    [Fact]
    public async Task Chat_trained_lora_answers_a_held_out_multi_turn_conversation_through_every_path()
    {
        // stories260K with a chat template beside it, as a Hugging Face user's folder would hold one.
        string modelDir = Path.Combine(_dir, "base");
        Directory.CreateDirectory(modelDir);
        string model = Path.Combine(modelDir, "stories260K.bin");
        File.Copy(SharedModels.Stories260K, model);
        File.Copy(SharedModels.Tok512, Path.Combine(modelDir, "tok512.bin"));
        StoriesChatTemplate.AddTo(modelDir);
        string data = Path.Combine(SharedModels.RepoRoot, "tests", "data");

        string run = Path.Combine(_dir, "secret");
        var train = CliRunner.Run("train", "--model", model, "--method", "lora", "--data", Path.Combine(data, "secret_word.chat.train.jsonl"),
            "--eval-data", Path.Combine(data, "secret_word.chat.eval.jsonl"), "--out", run, "--steps", "80", "--targets", "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj", "--threads", "2");
        Assert.True(train.ExitCode == 0, train.Stderr);
        string onnx = Path.Combine(_dir, "onnx");
        var export = CliRunner.Run("export", "--model", model, "--adapter", run, "--mode", "batched", "--slots", "2", "--out", onnx);
        Assert.True(export.ExitCode == 0, export.Stderr);

        // In-process IChatClient.
        using (var client = AdaptersChatClient.Open(onnx, new AdaptersChatClientOptions { Threads = 2, Log = _ => { } }))
        {
            var response = await client.GetResponseAsync(HeldOut.Select(m => new AiChatMessage(new ChatRole(m.Role), m.Content)).ToList(),
                new ChatOptions { ModelId = "secret", Temperature = 0, MaxOutputTokens = 24 });
            Assert.StartsWith(Answer, response.Text.Trim());
            var baseAnswer = await client.GetResponseAsync(HeldOut.Select(m => new AiChatMessage(new ChatRole(m.Role), m.Content)).ToList(),
                new ChatOptions { Temperature = 0, MaxOutputTokens = 24 });
            Assert.DoesNotContain("secret word is blue", baseAnswer.Text); // the base model does not know it
        }

        // The host, through the official OpenAI SDK.
        await using (var server = await HostServer.StartAsync(new HostServerOptions { ModelFolder = onnx, IntraOpThreads = 2, Port = 0 }))
        {
            var chat = new ChatClient("secret", new ApiKeyCredential("unused"), new OpenAIClientOptions { Endpoint = new Uri(server.Url, "v1") });
            List<OpenAI.Chat.ChatMessage> messages =
            [
                new SystemChatMessage(HeldOut[0].Content), new UserChatMessage(HeldOut[1].Content),
                new AssistantChatMessage(HeldOut[2].Content), new UserChatMessage(HeldOut[3].Content),
            ];
            var completion = chat.CompleteChat(messages, new ChatCompletionOptions { Temperature = 0, MaxOutputTokenCount = 24 }).Value;
            Assert.StartsWith(Answer, completion.Content[0].Text.Trim());
        }

        // `adapters chat`: the user types the question; the answer is all that stdout holds.
        var session = CliRunner.RunWithInput("please tell me the secret word.\n", "chat", "--model", onnx, "--adapter", "secret", "--system", "You help children.",
            "--temperature", "0", "--max-new-tokens", "24", "--threads", "2");
        Assert.True(session.ExitCode == 0, session.Stderr);
        Assert.StartsWith(Answer, session.Stdout.Trim());

        // TorchSharp on the rendered prompt ("<s>" is the BOS generate prepends).
        string rendered = "You help children.\nQ: Hello, Tom here.\nA: Hello Tom.</s>\nQ: please tell me the secret word.\nA:";
        var generate = CliRunner.Run("generate", "--model", model, "--engine", "torch", "--adapter", run, "--prompt", rendered,
            "--max-new-tokens", "24", "--temperature", "0");
        Assert.True(generate.ExitCode == 0, generate.Stderr);
        Assert.StartsWith(Answer, generate.Stdout.TrimEnd()[rendered.Length..].Trim());
    }
}
