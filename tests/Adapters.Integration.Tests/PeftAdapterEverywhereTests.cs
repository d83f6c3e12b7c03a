using System.Net.Http.Json;
using System.Text.Json;
using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Generation;
using Adapters.Core.Tokenizers;
using Adapters.Host;
using Adapters.TestSupport;
using Adapters.Training.Engine;

namespace Adapters.Integration.Tests;

/// <summary>
/// A Hugging Face PEFT LoRA folder (adapter_config.json + adapter_model.safetensors, what HF users
/// have) loads everywhere an adapter folder does — `export --adapter`, `generate --engine onnx
/// --adapter`, the host's /v1/load_lora_adapter — and gives the same greedy text as the torch
/// engine with the same folder.
/// </summary>
public sealed class PeftAdapterEverywhereTests : IDisposable
{
    const string Prompt = "Lily saw";
    const int Tokens = 24;
    readonly string _dir = SharedModels.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>A random rank-4 LoRA on q/v/down written in PEFT layout (q's lora_B stored in HF's rotary layout).</summary>
    string WritePeftFolder()
    {
        var weights = Llama2cCheckpoint.Read(SharedModels.Stories260K);
        var lora = RandomAdapters.Lora(weights, seed: 31);
        string folder = Path.Combine(_dir, "adapters", "hf-lora");
        PeftLoraFormat.Write(folder, lora.Manifest.HyperparametersAs<LoraConfig>(), weights.Config, lora.Tensors);
        Assert.False(File.Exists(Path.Combine(folder, AdapterManifest.FileName)));
        return folder;
    }

    static string TorchContinuation(string peft)
    {
        using var model = AdapterDecoderModel.Load(SharedModels.Stories260K, peft);
        var tokenizer = TokenizerLoader.Load(SharedModels.Tok512, model.Config.VocabSize);
        return TextGenerator.GenerateText(model, tokenizer, Prompt, Tokens, SamplingOptions.Greedy)[Prompt.Length..];
    }

    string ExportSwappable(string adapter)
    {
        string onnx = Path.Combine(_dir, "onnx");
        var export = CliRunner.Run("export", "--model", SharedModels.Stories260K, "--tokenizer", SharedModels.Tok512,
            "--adapter", adapter, "--mode", "swappable", "--out", onnx);
        Assert.True(export.ExitCode == 0, export.Stderr);
        return onnx;
    }

    [Fact]
    public void Generate_with_the_onnx_engine_takes_a_peft_folder_and_matches_the_torch_engine()
    {
        string peft = WritePeftFolder();
        string onnx = ExportSwappable(peft);
        string[] common = ["--prompt", Prompt, "--max-new-tokens", Tokens.ToString(), "--temperature", "0", "--adapter", peft];

        var torch = CliRunner.Run(["generate", "--model", SharedModels.Stories260K, "--tokenizer", SharedModels.Tok512, "--engine", "torch", .. common]);
        var viaOnnx = CliRunner.Run(["generate", "--model", onnx, "--engine", "onnx", .. common]);
        var baseOnly = CliRunner.Run(["generate", "--model", onnx, "--engine", "onnx", .. common[..^2]]);

        Assert.True(viaOnnx.ExitCode == 0, viaOnnx.Stderr);
        Assert.Equal(0, torch.ExitCode);
        Assert.Equal(torch.Stdout, viaOnnx.Stdout);
        Assert.NotEqual(baseOnly.Stdout, viaOnnx.Stdout); // the adapter changed the text
        Assert.Equal(Prompt + TorchContinuation(peft) + "\n", viaOnnx.Stdout);
    }

    [Fact]
    public async Task Host_loads_a_peft_folder_through_load_lora_adapter_and_completes_like_the_torch_engine()
    {
        string peft = WritePeftFolder();
        string onnx = ExportSwappable(peft);
        string expected = TorchContinuation(peft);

        await using var server = await HostServer.StartAsync(new HostServerOptions
        {
            ModelFolder = onnx,
            ServedModelName = "stories260K",
            AdapterRoots = [Path.GetDirectoryName(peft)!],
            IntraOpThreads = 2,
        });
        using var client = new HttpClient { BaseAddress = server.Url, Timeout = TimeSpan.FromSeconds(60) };

        var load = await client.PostAsJsonAsync("/v1/load_lora_adapter", new Dictionary<string, string> { ["lora_name"] = "from-hf", ["lora_path"] = peft });
        string loadBody = await load.Content.ReadAsStringAsync();
        Assert.True(load.IsSuccessStatusCode, loadBody);
        Assert.Equal("lora", JsonDocument.Parse(loadBody).RootElement.GetProperty("model").GetProperty("method").GetString());

        var completion = await client.PostAsJsonAsync("/v1/completions", new Dictionary<string, object>
        {
            ["model"] = "from-hf", ["prompt"] = Prompt, ["max_tokens"] = Tokens, ["temperature"] = 0,
        });
        string body = await completion.Content.ReadAsStringAsync();
        Assert.True(completion.IsSuccessStatusCode, body);
        string text = JsonDocument.Parse(body).RootElement.GetProperty("choices")[0].GetProperty("text").GetString()!;
        Assert.Equal(expected, text);
    }
}
