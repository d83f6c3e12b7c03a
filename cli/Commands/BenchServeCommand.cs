using System.CommandLine;
using System.Globalization;
using Adapters.Bench.Serving;

namespace Adapters.Cli.Commands;

/// <summary>
/// `adapters bench-serve`: a bounded Zipf load generator for a running endpoint (router or
/// replica), or a whole scenario that starts its own processes: `--scenario fleet` (replicas +
/// router, affinity vs round-robin, a replica killed) and `--scenario store` (one replica, a
/// thousand adapters in its store). The logic is in bench/Serving.
/// </summary>
public static class BenchServeCommand
{
    public static Command Create(CliConsole console)
    {
        var url = new Option<string?>("--url") { Description = "endpoint to load (router or replica), e.g. http://127.0.0.1:8000" };
        var scenario = new Option<string?>("--scenario") { Description = "fleet (replicas + router, affinity vs round-robin, a kill) or store (one replica, many adapters): starts its own processes" };
        scenario.AcceptOnlyFromAmong("fleet", "store");
        var adapters = new Option<int?>("--adapters") { Description = "adapters a0000 … a(N-1), Zipf rank order (default: 16 for fleet, 1000 for store; with --url the store's names)" };
        var models = new Option<string?>("--models") { Description = "--url only: comma-separated model names instead of --adapters, most popular first" };
        var zipf = new Option<double>("--zipf") { Description = "Zipf exponent of the choice among models", DefaultValueFactory = _ => 1.1 };
        var concurrency = new Option<int?>("--concurrency") { Description = "clients, each with one request in flight (default 4; fleet 6)" };
        var duration = new Option<double>("--duration") { Description = "seconds of traffic (a scenario: per phase; store: also each condition's total over its windows)", DefaultValueFactory = _ => 60 };
        var think = new Option<double>("--think-ms") { Description = "each client's wait between an answer and its next request (--url and store; default 0: back to back)", DefaultValueFactory = _ => 0 };
        var requests = new Option<int?>("--requests") { Description = "stop after this many requests (--url only)" };
        var maxTokens = new Option<int>("--max-tokens") { Description = "max_tokens of each request", DefaultValueFactory = _ => 16 };
        var streamFraction = new Option<double>("--stream-fraction") { Description = "share of streamed requests (--url and fleet; store streams all)", DefaultValueFactory = _ => 0.5 };
        var metrics = new Option<string[]>("--metrics") { Description = "replica base URLs whose /metrics give adapter loads (--url only; repeatable)", AllowMultipleArgumentsPerToken = true };
        var resident = new Option<int?>("--resident") { Description = "scenario: --max-loaded-adapters of each replica (default fleet 12, store 16)" };
        var windows = new Option<int>("--windows") { Description = "store: alternating hits-only/misses windows in ABBA order, even and >= 4, each --duration / (N/2) s", DefaultValueFactory = _ => 8 };
        var replicas = new Option<int>("--replicas") { Description = "fleet: replicas", DefaultValueFactory = _ => 3 };
        var output = new Option<string>("--out") { Description = "scenario: work folder (export, store, result.md)", DefaultValueFactory = _ => "out/bench-serve" };
        var model = new Option<string>("--model") { Description = "scenario: llama2.c checkpoint", DefaultValueFactory = _ => PipelineCommand.DefaultModel };
        var tokenizer = new Option<string>("--tokenizer") { Description = "scenario: its tokenizer", DefaultValueFactory = _ => PipelineCommand.DefaultTokenizer };
        var loadFactor = new Option<double>("--load-factor") { Description = "fleet: the router's bounded-load factor", DefaultValueFactory = _ => Adapters.Router.Routing.BoundedLoadChooser.DefaultLoadFactor };
        var seed = new Option<int>("--seed") { Description = "seed of the Zipf draws", DefaultValueFactory = _ => 0 };
        var threads = CommonOptions.Threads();
        threads.Description = "scenario: --threads of each replica (default 1)";
        var command = new Command("bench-serve", "Zipf load over adapters against a running endpoint, or a fleet/store scenario: throughput, TTFT, per-token p50/p99, statuses, adapter loads.")
        {
            url, scenario, adapters, models, zipf, concurrency, duration, think, requests, maxTokens, streamFraction, metrics, resident, windows, replicas, output, model, tokenizer, loadFactor, seed, threads,
        };
        command.SetAction(parse => console.Guard(() =>
        {
            double seconds = parse.GetValue(duration);
            if (!(seconds > 0) || seconds > 86400) throw new ArgumentException($"--duration must be a positive number of seconds, got {seconds}");
            string? kind = parse.GetValue(scenario);
            if (kind is null == parse.GetValue(url) is null) throw new ArgumentException("give either --url (a running endpoint) or --scenario fleet|store");
            double thinkMs = parse.GetValue(think);
            if (!(thinkMs is >= 0 and <= 600_000)) throw new ArgumentException($"--think-ms must be 0 to 600000, got {thinkMs}");
            if (kind == "fleet" && thinkMs > 0) throw new ArgumentException("--think-ms is not supported by the fleet scenario (its clients send back to back)");
            string mode = kind ?? "url";
            var usedOnlyBy = new (Option Option, string[] Modes)[]
            {
                (models, ["url"]), (requests, ["url"]), (metrics, ["url"]), (streamFraction, ["url", "fleet"]), // store: every request streams
                (resident, ["fleet", "store"]), (output, ["fleet", "store"]), (model, ["fleet", "store"]), (tokenizer, ["fleet", "store"]), (threads, ["fleet", "store"]),
                (replicas, ["fleet"]), (loadFactor, ["fleet"]), (windows, ["store"]),
            };
            if (usedOnlyBy.FirstOrDefault(u => !u.Modes.Contains(mode) && parse.IsGiven(u.Option)) is { Option: { } unused, Modes: var modes })
                throw new ArgumentException($"{unused.Name} applies only to {string.Join(" and ", modes.Select(ModeName))}, not to {ModeName(mode)}");
            var thinkTime = TimeSpan.FromMilliseconds(thinkMs);
            string result = kind switch
            {
                "fleet" => FleetScenario.RunAsync(new FleetOptions
                {
                    Checkpoint = parse.GetValue(model)!,
                    Tokenizer = parse.GetValue(tokenizer)!,
                    WorkFolder = parse.GetValue(output)!,
                    Replicas = parse.GetValue(replicas),
                    Adapters = parse.GetValue(adapters) ?? 16,
                    MaxLoadedAdapters = parse.GetValue(resident) ?? 12,
                    Concurrency = parse.GetValue(concurrency) ?? 6,
                    Duration = TimeSpan.FromSeconds(seconds),
                    ZipfExponent = parse.GetValue(zipf),
                    StreamFraction = parse.GetValue(streamFraction),
                    MaxTokens = parse.GetValue(maxTokens),
                    Threads = parse.GetValue(threads) ?? 1,
                    Seed = parse.GetValue(seed),
                    LoadFactor = parse.GetValue(loadFactor),
                }, console.Info).GetAwaiter().GetResult().ToMarkdown(),
                "store" => StoreScenario.RunAsync(new StoreOptions
                {
                    Checkpoint = parse.GetValue(model)!,
                    Tokenizer = parse.GetValue(tokenizer)!,
                    WorkFolder = parse.GetValue(output)!,
                    Adapters = parse.GetValue(adapters) ?? 1000,
                    MaxLoadedAdapters = parse.GetValue(resident) ?? 16,
                    Concurrency = parse.GetValue(concurrency) ?? 4,
                    Duration = TimeSpan.FromSeconds(seconds),
                    ThinkTime = thinkTime,
                    Windows = parse.GetValue(windows),
                    ZipfExponent = parse.GetValue(zipf),
                    MaxTokens = parse.GetValue(maxTokens),
                    Threads = parse.GetValue(threads) ?? 1,
                    Seed = parse.GetValue(seed),
                }, console.Info).GetAwaiter().GetResult().ToMarkdown(),
                _ => LoadEndpoint(parse, url, models, adapters, zipf, concurrency, requests, maxTokens, streamFraction, metrics, seed, seconds, thinkTime),
            };
            console.Out.Write(result);
            if (kind is not null)
            {
                string file = Path.Combine(parse.GetValue(output)!, "result.md");
                File.WriteAllText(file, result);
                console.Info($"bench-serve: wrote {file}");
            }
            return 0;
        }));
        return command;
    }

    static string ModeName(string mode) => mode == "url" ? "--url" : $"--scenario {mode}";

    static string LoadEndpoint(ParseResult parse, Option<string?> url, Option<string?> models, Option<int?> adapters, Option<double> zipf,
        Option<int?> concurrency, Option<int?> requests, Option<int> maxTokens, Option<double> streamFraction, Option<string[]> metrics, Option<int> seed, double seconds,
        TimeSpan thinkTime)
    {
        if (!Uri.TryCreate(parse.GetValue(url), UriKind.Absolute, out var endpoint)) throw new ArgumentException($"--url must be an http:// URL, got '{parse.GetValue(url)}'");
        if (parse.GetValue(models) is not null && parse.GetValue(adapters) is not null) throw new ArgumentException("give --adapters N or --models a,b,c, not both");
        IReadOnlyList<string> names = parse.GetValue(models) is { } list
            ? list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            : parse.GetValue(adapters) is not { } count ? throw new ArgumentException("give --adapters N (names a0000 …) or --models a,b,c")
            : count < 1 ? throw new ArgumentException($"--adapters must be >= 1, got {count}")
            : Enumerable.Range(0, count).Select(AdapterStoreWorkspace.NameOf).ToList();
        var scraped = (parse.GetValue(metrics) ?? []).Select(m => Uri.TryCreate(m, UriKind.Absolute, out var u) ? u : throw new ArgumentException($"--metrics must be a URL, got '{m}'")).ToList();
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(10) };
        var before = Loads(http, scraped);
        using var generator = new ServeLoadGenerator(new ServeLoadOptions
        {
            Url = endpoint,
            Models = names,
            ZipfExponent = parse.GetValue(zipf),
            Concurrency = parse.GetValue(concurrency) ?? 4,
            Duration = TimeSpan.FromSeconds(seconds),
            ThinkTime = thinkTime,
            MaxRequests = parse.GetValue(requests),
            MaxTokens = parse.GetValue(maxTokens),
            StreamFraction = parse.GetValue(streamFraction),
            Seed = parse.GetValue(seed),
        });
        var summary = ServeRunSummary.Of(generator.RunAsync().GetAwaiter().GetResult());
        string text = summary.ToMarkdown($"{endpoint}: {names.Count} models, Zipf({parse.GetValue(zipf).ToString(CultureInfo.InvariantCulture)})");
        if (scraped.Count > 0)
        {
            var after = Loads(http, scraped);
            text += $"- adapter loads per replica: {string.Join(", ", after.Select(kv => $"{kv.Key} {kv.Value - before[kv.Key]:0}"))} (total {after.Sum(kv => kv.Value - before[kv.Key]):0})\n";
        }
        return text;
    }

    static Dictionary<string, double> Loads(HttpClient http, IEnumerable<Uri> replicas) => replicas.ToDictionary(r => r.ToString(),
        r => PrometheusText.Sum(http.GetStringAsync(new Uri(r, "metrics")).GetAwaiter().GetResult(), "adapters_adapter_loads_total"));
}
