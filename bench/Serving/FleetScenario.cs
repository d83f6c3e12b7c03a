using System.Globalization;

namespace Adapters.Bench.Serving;

/// <summary>
/// The fleet benchmark, end to end on loopback: an adapter store of random LoRA adapters, N
/// `adapters serve` replicas sharing it, `adapters router` in front. Three phases of Zipf traffic:
/// (1) affinity routing from cold replicas, counting adapter loads; (2) still affinity, one replica
/// SIGKILLed mid-run and restarted on its port, recording which requests failed and where requests
/// went after it returned; (3) fresh replicas behind a round-robin router, counting loads again.
/// </summary>
public static class FleetScenario
{
    public static async Task<FleetResult> RunAsync(FleetOptions options, Action<string>? log = null)
    {
        options.Validate();
        log ??= _ => { };
        log($"fleet: writing the export and {options.Adapters} adapters to {options.WorkFolder}");
        var workspace = AdapterStoreWorkspace.Create(options.WorkFolder, options.Checkpoint, options.Tokenizer, options.Adapters, options.MaxBatch, options.Threads);

        FleetPhase affinity, kill;
        IReadOnlyList<ServeRequestRecord> affinityRecords, killRecords;
        string victimUrl;
        double killing, killedAt, returnedAt;
        using (var fleet = await Fleet.StartAsync(workspace, options, "affinity"))
        {
            log($"fleet: affinity phase, {options.Duration.TotalSeconds:0} s");
            affinityRecords = await Traffic(fleet, options, options.Duration, seed: options.Seed).RunAsync();
            affinity = new FleetPhase("affinity", ServeRunSummary.Of(affinityRecords), await fleet.LoadsAsync());

            // The busiest replica dies: the most streams in flight, the most adapters to rehash.
            victimUrl = affinityRecords.Where(r => r.Replica is not null).GroupBy(r => r.Replica!).OrderByDescending(g => g.Count()).First().Key;
            var victim = fleet.Replicas.Single(r => r.Url.ToString() == victimUrl);
            var before = await fleet.LoadsAsync();
            double killAfter = Math.Max(2, options.Duration.TotalSeconds / 3);
            double downFor = Math.Max(6, options.Duration.TotalSeconds / 3); // past the router's passive mark (5 s)
            double settle = Math.Max(8, options.Duration.TotalSeconds / 2);
            using var generator = Traffic(fleet, options, TimeSpan.FromHours(1), seed: options.Seed + 7);
            using var stop = new CancellationTokenSource();
            var running = generator.RunAsync(stop.Token);
            await Until(generator, killAfter);
            killing = generator.Elapsed;
            victim.Kill();
            killedAt = generator.Elapsed;
            log($"fleet: killed {victimUrl} at {killedAt:0.0} s");
            await Until(generator, killedAt + downFor);
            await victim.RestartAsync();
            returnedAt = generator.Elapsed;
            log($"fleet: {victimUrl} serving again at {returnedAt:0.0} s");
            await Until(generator, returnedAt + settle);
            stop.Cancel();
            killRecords = await running;
            var after = await fleet.LoadsAsync();
            // Loads during the phase: the survivors' growth plus everything the restarted process counted.
            var loads = after.ToDictionary(kv => kv.Key, kv => kv.Key == victimUrl ? kv.Value : kv.Value - before[kv.Key]);
            kill = new FleetPhase("kill (affinity)", ServeRunSummary.Of(killRecords), loads);
        }

        FleetPhase roundRobin;
        using (var fleet = await Fleet.StartAsync(workspace, options, "round-robin"))
        {
            log($"fleet: round-robin phase, {options.Duration.TotalSeconds:0} s");
            var records = await Traffic(fleet, options, options.Duration, seed: options.Seed).RunAsync();
            roundRobin = new FleetPhase("round-robin", ServeRunSummary.Of(records), await fleet.LoadsAsync());
        }
        return new FleetResult
        {
            Options = options,
            Affinity = affinity,
            RoundRobin = roundRobin,
            Kill = kill,
            AffinityRecords = affinityRecords,
            KillRecords = killRecords,
            KilledReplica = victimUrl,
            Killing = killing,
            KilledAt = killedAt,
            ReturnedAt = returnedAt,
        };
    }

    static ServeLoadGenerator Traffic(Fleet fleet, FleetOptions options, TimeSpan duration, int seed) => new(new ServeLoadOptions
    {
        Url = fleet.Router.Url,
        Models = fleet.Workspace.Adapters,
        ZipfExponent = options.ZipfExponent,
        Concurrency = options.Concurrency,
        Duration = duration,
        MaxTokens = options.MaxTokens,
        StreamFraction = options.StreamFraction,
        Seed = seed,
    });

    static async Task Until(ServeLoadGenerator generator, double seconds)
    {
        while (generator.Elapsed < seconds) await Task.Delay(50);
    }

    /// <summary>The replicas and the router of one phase.</summary>
    sealed class Fleet : IDisposable
    {
        static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(10) };

        public required AdapterStoreWorkspace Workspace { get; init; }
        public required IReadOnlyList<AdaptersProcess> Replicas { get; init; }
        public required AdaptersProcess Router { get; init; }

        public static async Task<Fleet> StartAsync(AdapterStoreWorkspace workspace, FleetOptions options, string policy)
        {
            var serve = workspace.ServeArguments(options.MaxBatch, options.MaxLoadedAdapters, options.Threads);
            var replicas = new List<AdaptersProcess>();
            try
            {
                foreach (var started in await Task.WhenAll(Enumerable.Range(0, options.Replicas).Select(_ => AdaptersProcess.StartAsync("serve", serve))))
                    replicas.Add(started);
                // The bound on load and the spill floor are the affinity policy's; the router refuses them with round-robin.
                string[] bounds = policy == "affinity"
                    ? ["--load-factor", options.LoadFactor.ToString(CultureInfo.InvariantCulture), "--spill-floor", options.MaxBatch.ToString()]
                    : [];
                var router = await AdaptersProcess.StartAsync("router",
                [
                    .. replicas.SelectMany(r => new[] { "--replica", r.Url.ToString() }),
                    "--policy", policy, "--admin-token-file", workspace.TokenFile, .. bounds,
                    "--health-interval", options.HealthInterval.TotalSeconds.ToString(CultureInfo.InvariantCulture),
                ]);
                return new Fleet { Workspace = workspace, Replicas = replicas, Router = router };
            }
            catch
            {
                foreach (var r in replicas) r.Dispose();
                throw;
            }
        }

        /// <summary>adapters_adapter_loads_total of each replica (lazy loads from the store and reloads after eviction).</summary>
        public async Task<Dictionary<string, double>> LoadsAsync()
        {
            var loads = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var replica in Replicas)
            {
                string text = await Http.GetStringAsync(new Uri(replica.Url, "metrics"));
                loads[replica.Url.ToString()] = PrometheusText.Sum(text, "adapters_adapter_loads_total");
            }
            return loads;
        }

        public void Dispose()
        {
            Router.Dispose();
            foreach (var r in Replicas) r.Dispose();
        }
    }
}
