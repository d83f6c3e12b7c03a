using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Exported;
using Adapters.Core.Generation;
using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.Export;
using Adapters.Export.AdapterExport;
using Adapters.Runtime.Backends;
using Adapters.Runtime;
using Adapters.Runtime.Serving;
using Adapters.TestSupport;

namespace Adapters.Host.Tests;

/// <summary>
/// stories260K exported batched with two adapters ("alpha" LoRA, "beta" LoReFT) and served by a
/// real <see cref="HostServer"/> with the scheduler backend on a loopback port; eight more random
/// adapter versions exported into the adapter root (v0 … v7, each with distinct greedy text), a
/// training adapter folder, and the reference texts of every version computed with
/// <see cref="TextGenerator"/> over <see cref="OnnxAdapterModel"/> — what
/// `adapters generate --engine onnx --adapter` prints.
/// </summary>
public sealed class AdapterServer : IAsyncLifetime
{
    public const string AdminToken = "test-admin-token-b41c";
    public const string ModelName = "stories260K-adapters";
    public const string Alpha = "alpha", Beta = "beta";

    /// <summary>Exported into the top of the adapter root (so served from start) with version v1's values.</summary>
    public const string Gamma = "gamma", GammaVersion = "v1";
    public const int Versions = 8;
    public const int MaxTokens = 24;
    public static readonly string[] Prompts = ["Lily saw", "Once upon a time"];

    /// <summary>Two threads: the CI machines have two cores.</summary>
    const int Threads = 2;

    /// <summary>Rows per step, and the adapter slots of the export: the load test's 16 clients fill them.</summary>
    public const int MaxBatch = 8;

    /// <summary>Above the most versions requests can hold at once (one per row), so no load is refused for want of a place.</summary>
    const int MaxLoadedAdapters = 12;

    /// <summary>Every rank the versions use fits the export's padded slot rank.</summary>
    const int Rank = 4;

    static readonly string[] AllProjections = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    public string Root { get; } = SharedModels.NewTempFolder("host-scheduler-tests");
    public string ModelFolder => Path.Combine(Root, "model");
    public string AdapterRoot => Path.Combine(Root, "adapters");
    public HostServer Server { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public SchedulerBackend Backend => (SchedulerBackend)Server.Backend;
    public OnnxDecoderModel Reference { get; private set; } = null!;
    public ITokenizer Tokenizer { get; private set; } = null!;

    /// <summary>Reference completion text (after the prompt) by version key ("base", "alpha", "beta", "v0" …) and prompt index.</summary>
    public Dictionary<(string Version, int Prompt), string> Expected { get; } = [];

    /// <summary>The exported manifest of version <paramref name="i"/> inside the adapter root.</summary>
    public string VersionManifest(int i) => Path.Combine(AdapterRoot, "versions", $"v{i}", $"v{i}" + ExportedAdapterManifest.FileSuffix);

    public string VersionFolder(int i) => Path.Combine(AdapterRoot, "versions", $"v{i}");

    /// <summary>A training adapter folder (manifest.json + adapter.safetensors) with its own random values; reference key "training".</summary>
    public string TrainingFolder => Path.Combine(AdapterRoot, "training-lora");

    public async Task InitializeAsync()
    {
        var weights = Llama2cCheckpoint.Read(SharedModels.Stories260K);
        var fingerprint = ModelFingerprint.Of(weights);
        AdapterSource[] exported =
        [
            new(Alpha, RandomAdapters.Lora(weights, seed: 11, rank: Rank)),
            new(Beta, RandomAdapters.Reft(weights, AdapterMethods.LoReft, seed: 12, rank: Rank)),
        ];
        AdapterExporter.Export(weights, exported, ModelFolder, new AdapterExportOptions
        {
            Mode = AdapterExportMode.Batched,
            Slots = MaxBatch,
            MaxRank = Rank,
            ExtraLoraTargets = AllProjections,
            Model = new LlamaExportOptions { TokenizerPath = SharedModels.Tok512, IntraOpThreads = Threads },
        });
        // Versions alternate LoRA and LoReFT, so replacing swaps methods too.
        var versions = new AdapterFolder[Versions];
        for (int i = 0; i < Versions; i++)
        {
            var adapter = versions[i] = i % 2 == 0
                ? RandomAdapters.Lora(weights, seed: 100 + i, rank: Rank - i % 3, targets: [AllProjections[i % 7], AllProjections[(i + 3) % 7]])
                : RandomAdapters.Reft(weights, AdapterMethods.LoReft, seed: 100 + i, rank: Rank);
            AdapterExporter.WriteAdapter(weights.Config, fingerprint, new AdapterSource($"v{i}", adapter), VersionFolder(i));
        }
        AdapterExporter.WriteAdapter(weights.Config, fingerprint, new AdapterSource(Gamma, versions[1]), AdapterRoot);
        var training = RandomAdapters.Lora(weights, seed: 200, rank: 2, targets: ["q_proj", "o_proj"]);
        AdapterFolder.Write(TrainingFolder, training.Manifest, training.Tensors.Values);

        // The chat template of tests/data/chat (stories260K's tokenizer has none), so chat requests work too.
        StoriesChatTemplate.AddTo(ModelFolder);
        var runtime = new OnnxRuntimeOptions { IntraOpThreads = Threads, Log = _ => { } };
        Reference = OnnxDecoderModel.Load(ModelFolder, runtime);
        Tokenizer = TokenizerLoader.Load(SharedModels.Tok512, Reference.Config.VocabSize);
        ComputeReferences(weights, training);
        AssertVersionsDistinguishable();

        string tokenFile = Path.Combine(Root, "admin.token");
        await File.WriteAllTextAsync(tokenFile, AdminToken + "\n");
        Server = await HostServer.StartAsync(new HostServerOptions
        {
            ModelFolder = ModelFolder,
            ServedModelName = ModelName,
            AdapterRoots = [AdapterRoot],
            AdminTokenFile = tokenFile,
            IntraOpThreads = Threads,
            MaxBatch = MaxBatch,
            MaxLoadedAdapters = MaxLoadedAdapters,
        });
        Client = HttpHelpers.NewClient(Server.Url);
    }

    /// <summary>The exported adapters and versions, for reference generation with <see cref="ReferenceText"/>.</summary>
    public AdapterRegistry ReferenceRegistry { get; private set; } = null!;

    /// <summary>What `adapters generate --engine onnx --adapter KEY --prompt PROMPT --temperature 0` prints after the prompt (BOS prepended).</summary>
    public string ReferenceText(string? key, string prompt, int maxTokens)
    {
        string full = TextGenerator.GenerateText(new OnnxAdapterModel(Reference, ReferenceRegistry, key), Tokenizer, prompt, maxTokens, SamplingOptions.Greedy);
        return full[prompt.Length..];
    }

    void ComputeReferences(LlamaWeights weights, AdapterFolder training)
    {
        var registry = ReferenceRegistry = AdapterRegistry.WithExportedAdapters(Reference.Exported);
        for (int i = 0; i < Versions; i++) registry.Load($"v{i}", VersionManifest(i));
        string scratch = Path.Combine(Root, "reference-training");
        var written = AdapterExporter.WriteAdapter(weights.Config, ModelFingerprint.Of(weights), new AdapterSource("training", training), scratch);
        registry.Load("training", Path.Combine(scratch, written.Name + ExportedAdapterManifest.FileSuffix));
        string?[] keys = [null, Alpha, Beta, "training", .. Enumerable.Range(0, Versions).Select(i => $"v{i}")];
        foreach (string? key in keys)
            for (int p = 0; p < Prompts.Length; p++)
                Expected[(key ?? "base", p)] = Text(new OnnxAdapterModel(Reference, registry, key), Prompts[p]);
    }

    string Text(IDecoderModel model, string prompt)
    {
        string full = TextGenerator.GenerateText(model, Tokenizer, prompt, MaxTokens, SamplingOptions.Greedy);
        return full[prompt.Length..];
    }

    /// <summary>A mixed-up answer is only detectable when every version writes something different.</summary>
    void AssertVersionsDistinguishable()
    {
        for (int p = 0; p < Prompts.Length; p++)
        {
            var texts = Expected.Where(e => e.Key.Prompt == p).Select(e => e.Value).ToList();
            if (texts.Distinct().Count() != texts.Count)
                throw new InvalidOperationException($"two adapter versions give the same text for prompt {p}; pick other seeds");
        }
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        Reference.Dispose();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { } // a leftover temp folder is harmless
    }
}
