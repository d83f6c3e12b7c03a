using System.Net;
using System.Text.Json;
using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Exported;
using Adapters.Core.Generation;
using Adapters.Core.Tokenizers;
using Adapters.Export;
using Adapters.Export.AdapterExport;
using Adapters.Export.Quantization;
using Adapters.Runtime;
using Adapters.Runtime.Serving;
using Adapters.TestSupport;

namespace Adapters.Host.Tests;

/// <summary>
/// The server runs an int4 batched folder (export --quantize int4 --mode batched) unchanged: an
/// exported adapter and one loaded at run time (a training adapter folder, converted on the fly)
/// answer what the runtime generates from the same folder.
/// </summary>
public sealed class QuantizedHostTests : IAsyncLifetime
{
    const string Token = "quantized-admin-token";
    const int MaxTokens = 16;
    const string Prompt = "Lily saw";
    readonly string _root = SharedModels.NewTempFolder("host-quantized");
    HostServer _server = null!;
    HttpClient _client = null!;

    string Folder => Path.Combine(_root, "model");
    string AdapterRoot => Path.Combine(_root, "adapters");

    public async Task InitializeAsync()
    {
        var weights = Llama2cCheckpoint.Read(SharedModels.Stories260K);
        AdapterExporter.Export(weights, [new AdapterSource("alpha", RandomAdapters.Lora(weights, seed: 21, rank: 4))], Folder, new AdapterExportOptions
        {
            Mode = AdapterExportMode.Batched,
            Slots = 4,
            MaxRank = 4,
            ExtraLoraTargets = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"],
            Model = new LlamaExportOptions { TokenizerPath = SharedModels.Tok512, IntraOpThreads = 2, Quantization = new QuantizationOptions { Bits = 4 } },
        });
        var trained = RandomAdapters.Lora(weights, seed: 22, rank: 2, targets: ["q_proj", "down_proj"]);
        AdapterFolder.Write(Path.Combine(AdapterRoot, "beta"), trained.Manifest, trained.Tensors.Values);
        string tokenFile = Path.Combine(_root, "admin.token");
        await File.WriteAllTextAsync(tokenFile, Token + "\n");
        _server = await HostServer.StartAsync(new HostServerOptions
        {
            ModelFolder = Folder, ServedModelName = "int4", AdapterRoots = [AdapterRoot], AdminTokenFile = tokenFile, IntraOpThreads = 2, MaxBatch = 4,
        });
        _client = HttpHelpers.NewClient(_server.Url);
    }

    public async Task DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        try { Directory.Delete(_root, recursive: true); }
        catch (IOException) { }
    }

    async Task<string?> CompleteAsync(string model)
    {
        var response = await _client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody(model, Prompt, MaxTokens));
        var json = await response.ReadJsonAsync();
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{(int)response.StatusCode}: {json}");
        return json.GetProperty("choices")[0].GetProperty("text").GetString();
    }

    [Fact]
    public async Task Exported_and_runtime_loaded_adapters_on_an_int4_folder_answer_what_the_runtime_generates()
    {
        var load = await _client.PostJsonAsync("/v1/load_lora_adapter", JsonSerializer.Serialize(new { lora_name = "beta", lora_path = "beta" }), Token);
        Assert.Equal(HttpStatusCode.OK, load.StatusCode);

        using var reference = OnnxDecoderModel.Load(Folder, new OnnxRuntimeOptions { IntraOpThreads = 2, Log = _ => { } });
        Assert.Equal(4, reference.Exported.Manifest.Quantization!.Bits);
        var tokenizer = TokenizerLoader.Load(SharedModels.Tok512, reference.Config.VocabSize);
        var registry = AdapterRegistry.WithExportedAdapters(reference.Exported);
        var converted = AdapterConverter.ManifestFor(reference.Exported, Path.Combine(AdapterRoot, "beta"), () => Path.Combine(_root, "converted"), "beta");
        registry.Load("beta", converted.Manifest);
        string Expected(string? adapter) =>
            TextGenerator.GenerateText(new OnnxAdapterModel(reference, registry, adapter), tokenizer, Prompt, MaxTokens, SamplingOptions.Greedy)[Prompt.Length..];

        var texts = new Dictionary<string, string?>();
        foreach (var (model, adapter) in new[] { ("int4", (string?)null), ("alpha", "alpha"), ("beta", "beta") })
        {
            texts[model] = await CompleteAsync(model);
            Assert.Equal(Expected(adapter), texts[model]);
        }
        Assert.Equal(3, texts.Values.Distinct().Count()); // each adapter changes the int4 model's text
    }
}
