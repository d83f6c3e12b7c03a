using System.Text.Json;
using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Exported;
using Adapters.Core.Generation;
using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.Export;
using Adapters.Export.AdapterExport;
using Adapters.Runtime;
using Adapters.Runtime.Backends;
using Adapters.Runtime.Serving;
using Adapters.TestSupport;

namespace Adapters.Host.Tests;

/// <summary>
/// A server whose adapter root an attacker can write into: stories260K exported batched with no
/// adapters, served with at most <see cref="MaxLoadedAdapters"/> adapter versions in memory (so
/// tests can force evictions). Beside the root lies an outside folder whose adapters must never
/// be served. Each adapter has distinct greedy text and a distinct rank, so an answer tells which
/// one was read:
/// <list type="bullet">
/// <item>inside (LoRA r=4): exported (<see cref="InsideExport"/>) and as a training folder (<see cref="InsideTraining"/>);</item>
/// <item>outside (LoRA r=2): exported, as a training folder and as a run folder, all under <see cref="Outside"/>;</item>
/// <item>reft (LoReFT r=4, exported) and peft (PEFT LoRA r=3 on q_proj and o_proj), inside.</item>
/// </list>
/// </summary>
public sealed class HostileRootServer : IAsyncLifetime
{
    public const string AdminToken = "hostile-admin-token-5d21";
    public const string ModelName = "stories260K-hostile";
    public const int MaxTokens = 16;
    public const string Prompt = "Lily saw";
    public const int InsideRank = 4, OutsideRank = 2, PeftRank = 3;
    public const int MaxLoadedAdapters = 2;
    const int Threads = 2;
    static readonly string[] AllProjections = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"];

    public string Root { get; } = SharedModels.NewTempFolder("host-hostile");
    public string ModelFolder => Path.Combine(Root, "model");
    public string AdapterRoot => Path.Combine(Root, "adapters");
    public string Outside => Path.Combine(Root, "outside");
    public string InsideExport => Path.Combine(AdapterRoot, "inside");
    public string InsideTraining => Path.Combine(AdapterRoot, "inside-training");
    public string ReftExport => Path.Combine(AdapterRoot, "reft");
    public string PeftFolder => Path.Combine(AdapterRoot, "peft-lora");
    public string OutsideExport => Path.Combine(Outside, "outside");
    public string OutsideTraining => Path.Combine(Outside, "outside-training");
    public string OutsideRun => Path.Combine(Outside, "outside-run");

    public HostServer Server { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;
    public SchedulerBackend Backend => (SchedulerBackend)Server.Backend;
    public LlamaConfig Config { get; private set; } = null!;

    /// <summary>Greedy completion of <see cref="Prompt"/> by key: base, inside, outside, reft, peft.</summary>
    public Dictionary<string, string> Expected { get; } = [];

    public async Task InitializeAsync()
    {
        var weights = Llama2cCheckpoint.Read(SharedModels.Stories260K);
        Config = weights.Config;
        var fingerprint = ModelFingerprint.Of(weights);
        AdapterExporter.Export(weights, Array.Empty<AdapterSource>(), ModelFolder, new AdapterExportOptions
        {
            Mode = AdapterExportMode.Batched,
            Slots = 4,
            MaxRank = InsideRank,
            ExtraLoraTargets = AllProjections,
            ExtraEditedLayers = [1, 3],
            Model = new LlamaExportOptions { TokenizerPath = SharedModels.Tok512, IntraOpThreads = Threads },
        });
        var inside = RandomAdapters.Lora(weights, seed: 21, rank: InsideRank);
        var outside = RandomAdapters.Lora(weights, seed: 22, rank: OutsideRank);
        var reft = RandomAdapters.Reft(weights, AdapterMethods.LoReft, seed: 23, rank: InsideRank);
        var peft = RandomAdapters.Lora(weights, seed: 24, rank: PeftRank, targets: ["q_proj", "o_proj"]);

        AdapterExporter.WriteAdapter(Config, fingerprint, new AdapterSource("inside", inside), InsideExport);
        AdapterFolder.Write(InsideTraining, inside.Manifest, inside.Tensors.Values);
        AdapterExporter.WriteAdapter(Config, fingerprint, new AdapterSource("reft", reft), ReftExport);
        PeftLoraFormat.Write(PeftFolder, peft.Manifest.HyperparametersAs<LoraConfig>(), Config, peft.Tensors);
        AdapterExporter.WriteAdapter(Config, fingerprint, new AdapterSource("outside", outside), OutsideExport);
        AdapterFolder.Write(OutsideTraining, outside.Manifest, outside.Tensors.Values);
        AdapterFolder.Write(Path.Combine(OutsideRun, "adapter"), outside.Manifest, outside.Tensors.Values);

        ComputeReferences(fingerprint, peft);
        if (Expected.Values.Distinct().Count() != Expected.Count)
            throw new InvalidOperationException("two adapters give the same text; pick other seeds");

        string tokenFile = Path.Combine(Root, "admin.token");
        await File.WriteAllTextAsync(tokenFile, AdminToken + "\n");
        Server = await HostServer.StartAsync(Options(tokenFile, [AdapterRoot]));
        Client = HttpHelpers.NewClient(Server.Url);
    }

    /// <summary>Options of a server over this model with <paramref name="roots"/> as adapter roots.</summary>
    public HostServerOptions Options(string tokenFile, string[] roots) => new()
    {
        ModelFolder = ModelFolder,
        ServedModelName = ModelName,
        AdapterRoots = roots,
        AdminTokenFile = tokenFile,
        IntraOpThreads = Threads,
        MaxBatch = 4,
        MaxLoadedAdapters = MaxLoadedAdapters,
    };

    void ComputeReferences(ModelFingerprint fingerprint, AdapterFolder peft)
    {
        var runtime = new OnnxRuntimeOptions { IntraOpThreads = Threads, Log = _ => { } };
        using var reference = OnnxDecoderModel.Load(ModelFolder, runtime);
        var tokenizer = TokenizerLoader.Load(SharedModels.Tok512, reference.Config.VocabSize);
        var registry = new AdapterRegistry(reference.Exported);
        registry.Load("inside", ManifestIn(InsideExport));
        registry.Load("outside", ManifestIn(OutsideExport));
        registry.Load("reft", ManifestIn(ReftExport));
        string scratch = Path.Combine(Root, "reference-peft");
        var written = AdapterExporter.WriteAdapter(Config, fingerprint, new AdapterSource("peft", peft), scratch);
        registry.Load("peft", Path.Combine(scratch, written.Name + ExportedAdapterManifest.FileSuffix));
        foreach (string? key in new[] { null, "inside", "outside", "reft", "peft" })
        {
            string full = TextGenerator.GenerateText(new OnnxAdapterModel(reference, registry, key), tokenizer, Prompt, MaxTokens, SamplingOptions.Greedy);
            Expected[key ?? "base"] = full[Prompt.Length..];
        }
    }

    /// <summary>The one exported manifest in <paramref name="folder"/>.</summary>
    public static string ManifestIn(string folder) => Directory.GetFiles(folder, "*" + ExportedAdapterManifest.FileSuffix).Single();

    /// <summary>A fresh copy of <paramref name="folder"/> under a new name inside the adapter root.</summary>
    public string CopyIntoRoot(string folder, string label)
    {
        string copy = Path.Combine(AdapterRoot, $"{label}-{Guid.NewGuid():N}");
        CopyFolder(folder, copy);
        return copy;
    }

    public static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (string file in Directory.GetFiles(from)) File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        foreach (string sub in Directory.GetDirectories(from)) CopyFolder(sub, Path.Combine(to, Path.GetFileName(sub)));
    }

    public static string LoadBody(string name, string path) =>
        $"{{\"lora_name\": {JsonSerializer.Serialize(name)}, \"lora_path\": {JsonSerializer.Serialize(path)}}}";

    public Task<HttpResponseMessage> LoadAsync(string name, string path, CancellationToken cancel = default) =>
        Client.PostJsonAsync("/v1/load_lora_adapter", LoadBody(name, path), AdminToken, cancel);

    public Task<HttpResponseMessage> UnloadAsync(string name) =>
        Client.PostJsonAsync("/v1/unload_lora_adapter", $"{{\"lora_name\": {JsonSerializer.Serialize(name)}}}", AdminToken);

    public async Task<(System.Net.HttpStatusCode Status, string? Text)> CompleteAsync(string model, CancellationToken cancel = default)
    {
        var response = await Client.PostJsonAsync("/v1/completions", HttpHelpers.CompletionBody(model, Prompt, MaxTokens), cancel: cancel);
        var json = await response.ReadJsonAsync();
        return (response.StatusCode, response.IsSuccessStatusCode ? json.GetProperty("choices")[0].GetProperty("text").GetString() : null);
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await Server.DisposeAsync();
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { } // a leftover temp folder is harmless
        catch (UnauthorizedAccessException) { }
    }
}

/// <summary>
/// Tests that share the one <see cref="HostileRootServer"/>. Run on their own, after the parallel
/// collections: their thousands of loads and refused huge files must not show up in the
/// process-wide memory figures other tests (LoadTests) measure.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HostileRootCollection : ICollectionFixture<HostileRootServer>
{
    public const string Name = "stories260K server with a hostile adapter root";
}
