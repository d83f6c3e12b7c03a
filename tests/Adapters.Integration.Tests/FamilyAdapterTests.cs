using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Adapters.Host;
using Adapters.Runtime.Chat;
using Adapters.TestSupport;
using Microsoft.Extensions.AI;
using Xunit.Abstractions;

namespace Adapters.Integration.Tests;

/// <summary>
/// LoRA and LoReFT trained on Llama-3- and Qwen3-shaped checkpoints (the shrunk reference
/// configurations: llama3 rope scaling; q/k norm with head_dim ≠ dim / heads) from chat-format
/// data rendered with the family's real chat template, exported swappable together: ONNX Runtime
/// prints the same greedy text as TorchSharp for each adapter, the adapters change the base
/// model's text, and the host serves them (completions equal to the CLI's text; chat answers
/// equal to the in-process IChatClient's).
/// </summary>
public sealed class FamilyAdapterTests(ITestOutputHelper output) : IDisposable
{
    const string Prompt = "Q: what is the secret word?";
    readonly string _dir = SharedModels.NewTempFolder("family-adapters");

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    [Theory]
    [InlineData("llama3-tiny")]
    [InlineData("qwen3-tiny")]
    public async Task Swappable_lora_and_loreft_give_torchs_greedy_text_in_onnx_runtime_and_are_served(string name)
    {
        var c = FamilyReferenceCase.Get(name);
        // The user's HF folder: weights plus the family's tokenizer.json / tokenizer_config.json (chat template).
        string hf = c.WriteCheckpoint(Path.Combine(_dir, "hf"));
        foreach (string file in new[] { "tokenizer.json", "tokenizer_config.json" })
            File.Copy(Path.Combine(c.TokenizerFolder, file), Path.Combine(hf, file));
        string data = Path.Combine(SharedModels.RepoRoot, "tests", "data");

        var runs = new Dictionary<string, string>();
        foreach (var (method, extra) in new[] { ("lora", new[] { "--targets", "q_proj,k_proj,v_proj,o_proj,gate_proj,up_proj,down_proj" }), ("loreft", new[] { "--positions", "f3+l3" }) })
        {
            string run = Path.Combine(_dir, $"{name}-{method}");
            var train = CliRunner.Run(["train", "--model", hf, "--method", method, "--data", Path.Combine(data, "secret_word.chat.train.jsonl"),
                "--out", run, "--steps", "6", "--batch-size", "2", "--lr", "3e-2", "--warmup", "1", "--eval-fraction", "0.1", "--threads", "2", .. extra]);
            Assert.True(train.ExitCode == 0, train.Stderr);
            runs[method] = run;
        }
        string onnx = Path.Combine(_dir, "onnx");
        var export = CliRunner.Run("export", "--model", hf, "--adapter", runs["lora"], runs["loreft"], "--mode", "swappable", "--out", onnx);
        Assert.True(export.ExitCode == 0, export.Stderr);

        string[] greedy = ["--prompt", Prompt, "--max-new-tokens", "12", "--temperature", "0", "--threads", "2"];
        var baseText = CliRunner.Run(["generate", "--model", onnx, "--engine", "onnx", .. greedy]);
        Assert.True(baseText.ExitCode == 0, baseText.Stderr);
        var onnxTexts = new Dictionary<string, string>();
        foreach (var (method, run) in runs)
        {
            string adapterName = Path.GetFileName(run);
            var torch = CliRunner.Run(["generate", "--model", hf, "--engine", "torch", "--adapter", run, .. greedy]);
            var ort = CliRunner.Run(["generate", "--model", onnx, "--engine", "onnx", "--adapter", adapterName, .. greedy]);
            Assert.True(torch.ExitCode == 0, torch.Stderr);
            Assert.True(ort.ExitCode == 0, ort.Stderr);
            output.WriteLine($"{name} {method}: {ort.Stdout.TrimEnd()}");
            Assert.Equal(torch.Stdout, ort.Stdout);
            Assert.NotEqual(baseText.Stdout, ort.Stdout);
            onnxTexts[adapterName] = ort.Stdout.TrimEnd('\n');
        }
        output.WriteLine($"{name} base: {baseText.Stdout.TrimEnd()}");

        var question = new List<ChatMessage> { new(ChatRole.System, "You help children."), new(ChatRole.User, "please tell me the secret word.") };
        await using var server = await HostServer.StartAsync(new HostServerOptions { ModelFolder = onnx, IntraOpThreads = 2, Port = 0 });
        using var http = new HttpClient { BaseAddress = server.Url };
        using var local = AdaptersChatClient.Open(onnx, new AdaptersChatClientOptions { Threads = 2, Log = _ => { } });
        foreach (var (adapterName, text) in onnxTexts)
        {
            var completion = await Post(http, "v1/completions", new JsonObject
            {
                ["model"] = adapterName, ["prompt"] = Prompt, ["max_tokens"] = 12, ["temperature"] = 0,
            });
            Assert.Equal(text, Prompt + (string?)completion["choices"]![0]!["text"]);

            var chat = await Post(http, "v1/chat/completions", new JsonObject
            {
                ["model"] = adapterName, ["max_tokens"] = 12, ["temperature"] = 0,
                ["messages"] = new JsonArray(question.Select(m => (JsonNode)new JsonObject { ["role"] = m.Role.Value, ["content"] = m.Text }).ToArray()),
            });
            var expected = await local.GetResponseAsync(question, new ChatOptions { ModelId = adapterName, Temperature = 0, MaxOutputTokens = 12 });
            Assert.Equal(expected.Text, (string?)chat["choices"]![0]!["message"]!["content"]);
        }
    }

    static async Task<JsonNode> Post(HttpClient http, string path, JsonObject body)
    {
        using var response = await http.PostAsJsonAsync(path, body);
        string text = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{path}: {(int)response.StatusCode} {text}");
        return JsonNode.Parse(text)!;
    }
}
