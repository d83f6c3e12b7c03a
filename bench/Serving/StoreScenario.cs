using System.Text.Json.Nodes;

namespace Adapters.Bench.Serving;

/// <summary>
/// The store benchmark: one `adapters serve` replica over a store of N random LoRA adapters with
/// few resident. A sweep asks for every adapter once (each is loaded lazily and registered); then
/// four phases of the same length: base-model streams alone; with Zipf traffic over as many
/// adapters as fit (hits only); with Zipf traffic over the whole store (hits and misses); alone
/// again, the control that says how much two identical phases differ on this machine.
/// </summary>
public static class StoreScenario
{
    public static async Task<StoreResult> RunAsync(StoreOptions options, Action<string>? log = null)
    {
        options.Validate();
        log ??= _ => { };
        log($"store: writing the export and {options.Adapters} adapters to {options.WorkFolder}");
        var workspace = AdapterStoreWorkspace.Create(options.WorkFolder, options.Checkpoint, options.Tokenizer, options.Adapters, options.MaxBatch, options.Threads);
        using var replica = await AdaptersProcess.StartAsync("serve", workspace.ServeArguments(options.MaxBatch, options.MaxLoadedAdapters, options.Threads));
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };

        log($"store: registering all {options.Adapters} adapters (one request each)");
        var swept = await SweepAsync(replica, workspace, options);
        var models = JsonNode.Parse(await http.GetStringAsync(new Uri(replica.Url, "v1/models")))!["data"]!.AsArray();
        int registered = models.Count(m => m?["kind"]?.GetValue<string>() == "adapter");

        var hot = workspace.Adapters.Take(options.MaxLoadedAdapters).ToList(); // all fit: hits once each is loaded
        log("store: base model alone");
        var alone = await BaseOnly(replica, workspace, options, options.Seed);
        log($"store: base model with Zipf traffic over {hot.Count} resident adapters");
        var (withHits, hotRecords) = await Mixed(replica, workspace, options, hot);
        log($"store: base model with Zipf traffic over all {options.Adapters} adapters");
        var (withMisses, storeRecords) = await Mixed(replica, workspace, options, workspace.Adapters);
        log("store: base model alone again (control)");
        var again = await BaseOnly(replica, workspace, options, options.Seed + 3);

        string metrics = await http.GetStringAsync(new Uri(replica.Url, "metrics"));
        double resident = PrometheusText.Sum(metrics, "adapters_adapter_loads_total") - PrometheusText.Sum(metrics, "adapters_adapter_evictions_total");
        return new StoreResult
        {
            Options = options,
            Registered = registered,
            Resident = resident,
            Sweep = swept,
            BaseAlone = alone,
            BaseWithHits = withHits,
            BaseWithMisses = withMisses,
            BaseAloneAgain = again,
            StoreRecords = storeRecords,
            HotAdapters = ServeRunSummary.Of(hotRecords),
        };
    }

    static ServeLoadOptions Load(AdaptersProcess replica, IReadOnlyList<string> models, StoreOptions options, TimeSpan duration) => new()
    {
        Url = replica.Url,
        Models = models,
        ZipfExponent = options.ZipfExponent,
        Concurrency = options.Concurrency,
        Duration = duration,
        MaxTokens = options.MaxTokens,
        StreamFraction = 1, // streams: the time to the first token includes a miss's read from disk
        Seed = options.Seed,
    };

    /// <summary>Each adapter once, in order, with the benchmark's clients: every one is loaded from the store and registered.</summary>
    static async Task<ServeRunSummary> SweepAsync(AdaptersProcess replica, AdapterStoreWorkspace workspace, StoreOptions options)
    {
        var records = new List<ServeRequestRecord>();
        for (int start = 0; start < workspace.Adapters.Count; start += options.Concurrency)
        {
            var batch = workspace.Adapters.Skip(start).Take(options.Concurrency).ToList();
            var runs = batch.Select(name => new ServeLoadGenerator(Load(replica, [name], options, TimeSpan.FromHours(1)) with
            {
                Concurrency = 1,
                MaxRequests = 1,
                MaxTokens = 1,
            })).ToList();
            foreach (var result in await Task.WhenAll(runs.Select(r => r.RunAsync()))) records.AddRange(result);
            foreach (var r in runs) r.Dispose();
        }
        return ServeRunSummary.Of(records);
    }

    static async Task<ServeRunSummary> BaseOnly(AdaptersProcess replica, AdapterStoreWorkspace workspace, StoreOptions options, int seed)
    {
        using var generator = new ServeLoadGenerator(Load(replica, [workspace.BaseModelName], options, options.Duration) with { Concurrency = 1, Seed = seed });
        return ServeRunSummary.Of(await generator.RunAsync());
    }

    static async Task<(ServeRunSummary Base, IReadOnlyList<ServeRequestRecord> Adapters)> Mixed(AdaptersProcess replica, AdapterStoreWorkspace workspace,
        StoreOptions options, IReadOnlyList<string> adapters)
    {
        using var baseModel = new ServeLoadGenerator(Load(replica, [workspace.BaseModelName], options, options.Duration) with { Concurrency = 1, Seed = options.Seed + 1 });
        using var adapterTraffic = new ServeLoadGenerator(Load(replica, adapters, options, options.Duration) with { Seed = options.Seed + 2 });
        var both = await Task.WhenAll(baseModel.RunAsync(), adapterTraffic.RunAsync());
        return (ServeRunSummary.Of(both[0]), both[1]);
    }
}
