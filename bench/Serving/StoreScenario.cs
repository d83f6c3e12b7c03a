using System.Text.Json.Nodes;

namespace Adapters.Bench.Serving;

/// <summary>
/// The store benchmark: one `adapters serve` replica over a store of N random LoRA adapters with
/// few resident. A sweep asks for every adapter once (each is loaded lazily and registered); then
/// base-model streams alone; then alternating windows, in ABBA order, of Zipf traffic over as many
/// adapters as fit (hits only) and over the whole store (hits and misses), while the base client
/// runs throughout; then alone again. Base requests are pooled per condition, so the two are
/// compared over the same stretch of time instead of two consecutive phases that drift apart.
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
        var swept = ServeRunSummary.Of(await RequestEachOnceAsync(replica, workspace.Adapters, options));
        var models = JsonNode.Parse(await http.GetStringAsync(new Uri(replica.Url, "v1/models")))!["data"]!.AsArray();
        int registered = models.Count(m => m?["kind"]?.GetValue<string>() == "adapter");

        var hot = workspace.Adapters.Take(options.MaxLoadedAdapters).ToList(); // all fit: hits once each is loaded
        log("store: base model alone");
        var (alone, aloneServer) = await ServerRuntimeCounters.AroundAsync(http, replica.Url, () => BaseOnly(replica, workspace, options, options.Seed));
        log($"store: {options.Windows} windows of {options.WindowLength.TotalSeconds:0.##} s, ABBA: Zipf traffic over {hot.Count} resident adapters (hits only) or all {options.Adapters} (misses)");
        var (windows, warmUps) = await InterleavedAsync(replica, workspace, options, hot, http, log);
        log("store: base model alone again (control)");
        var (again, againServer) = await ServerRuntimeCounters.AroundAsync(http, replica.Url, () => BaseOnly(replica, workspace, options, options.Seed + 3));

        string metrics = await http.GetStringAsync(new Uri(replica.Url, "metrics"));
        double resident = PrometheusText.Sum(metrics, "adapters_adapter_loads_total") - PrometheusText.Sum(metrics, "adapters_adapter_evictions_total");
        return new StoreResult
        {
            Options = options,
            Registered = registered,
            Resident = resident,
            Sweep = swept,
            WarmUps = warmUps,
            BaseAlone = alone,
            Windows = windows,
            BaseAloneAgain = again,
            AloneServer = aloneServer,
            AloneAgainServer = againServer,
        };
    }

    static ServeLoadOptions Load(AdaptersProcess replica, IReadOnlyList<string> models, StoreOptions options, TimeSpan duration) => new()
    {
        Url = replica.Url,
        Models = models,
        ZipfExponent = options.ZipfExponent,
        Concurrency = options.Concurrency,
        Duration = duration,
        ThinkTime = options.ThinkTime,
        MaxTokens = options.MaxTokens,
        StreamFraction = 1, // streams: the time to the first token includes a miss's read from disk
        Seed = options.Seed,
    };

    /// <summary>Each adapter once, in order, with the benchmark's clients: every one is loaded from the store (when not in memory) and registered.</summary>
    static async Task<IReadOnlyList<ServeRequestRecord>> RequestEachOnceAsync(AdaptersProcess replica, IReadOnlyList<string> adapters, StoreOptions options)
    {
        var records = new List<ServeRequestRecord>();
        for (int start = 0; start < adapters.Count; start += options.Concurrency)
        {
            var batch = adapters.Skip(start).Take(options.Concurrency).ToList();
            var runs = batch.Select(name => new ServeLoadGenerator(Load(replica, [name], options, TimeSpan.FromHours(1)) with
            {
                Concurrency = 1,
                MaxRequests = 1,
                MaxTokens = 1,
            })).ToList();
            foreach (var result in await Task.WhenAll(runs.Select(r => r.RunAsync()))) records.AddRange(result);
            foreach (var r in runs) r.Dispose();
        }
        return records;
    }

    static async Task<ServeRunSummary> BaseOnly(AdaptersProcess replica, AdapterStoreWorkspace workspace, StoreOptions options, int seed)
    {
        using var generator = new ServeLoadGenerator(Load(replica, [workspace.BaseModelName], options, options.Duration) with { Concurrency = 1, Seed = seed });
        return ServeRunSummary.Of(await generator.RunAsync());
    }

    /// <summary>
    /// The windows: one base client runs throughout, on whose clock every window is timed; each window
    /// has its own adapter generator over its condition's model set. Before a hits-only window the
    /// resident set is requested once (the warm-ups), as a misses window before it evicted part of it.
    /// </summary>
    static async Task<(IReadOnlyList<StoreWindow> Windows, ServeRunSummary WarmUps)> InterleavedAsync(AdaptersProcess replica, AdapterStoreWorkspace workspace,
        StoreOptions options, IReadOnlyList<string> hot, HttpClient http, Action<string> log)
    {
        // Runs until stopped after the last window, however long the windows take.
        using var baseModel = new ServeLoadGenerator(Load(replica, [workspace.BaseModelName], options, TimeSpan.MaxValue) with { Concurrency = 1, Seed = options.Seed + 1 });
        using var stop = new CancellationTokenSource();
        var baseRunning = baseModel.RunAsync(stop.Token);
        var spans = new List<(double Start, double End, IReadOnlyList<ServeRequestRecord> Adapters, ServerRuntimeCounters Server)>();
        var warmUps = new List<ServeRequestRecord>();
        for (int i = 0; i < options.Windows; i++)
        {
            var condition = StoreWindow.ConditionOf(i);
            if (condition == StoreCondition.HitsOnly) warmUps.AddRange(await RequestEachOnceAsync(replica, hot, options));
            var models = condition == StoreCondition.HitsOnly ? hot : workspace.Adapters;
            using var adapterTraffic = new ServeLoadGenerator(Load(replica, models, options, options.WindowLength) with { Seed = options.Seed + 4 + i });
            var ((start, end, adapters), server) = await ServerRuntimeCounters.AroundAsync(http, replica.Url, async () =>
            {
                double start = baseModel.Elapsed;
                var adapters = await adapterTraffic.RunAsync();
                return (start, baseModel.Elapsed, adapters);
            });
            spans.Add((start, end, adapters, server));
            log($"store: window {i + 1}/{options.Windows} ({condition}) done");
        }
        stop.Cancel();
        var baseRecords = await baseRunning;
        var windows = spans.Select((w, i) => StoreWindow.Of(i, w.Start, w.End, w.Adapters, w.Server, baseRecords)).ToList();
        return (windows, ServeRunSummary.Of(warmUps));
    }
}
