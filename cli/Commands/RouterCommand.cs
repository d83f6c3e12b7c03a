using System.CommandLine;
using System.Net;
using Adapters.Router;
using Adapters.Router.Routing;

namespace Adapters.Cli.Commands;

/// <summary>
/// `adapters router`: the adapter-affinity reverse proxy in front of `adapters serve` replicas
/// (thin wrapper over <see cref="RouterServer"/>).
/// </summary>
public static class RouterCommand
{
    public static Command Create(CliConsole console)
    {
        var replicas = new Option<string[]>("--replica") { Description = "base URL of an `adapters serve` replica, e.g. http://10.0.0.5:8000 (repeatable)", AllowMultipleArgumentsPerToken = true };
        var dns = new Option<string?>("--replica-dns") { Description = "NAME:PORT whose DNS addresses are replicas (a Kubernetes headless Service), re-resolved every --dns-refresh seconds" };
        var dnsRefresh = new Option<double>("--dns-refresh") { Description = "seconds between DNS lookups of --replica-dns", DefaultValueFactory = _ => 10 };
        var host = new Option<string>("--host") { Description = "address to bind (default loopback; others need --admin-token-file)", DefaultValueFactory = _ => IPAddress.Loopback.ToString() };
        var port = new Option<int>("--port") { Description = "TCP port (0 = any free port)", DefaultValueFactory = _ => RouterOptions.DefaultPort };
        var tokenFile = new Option<string?>("--admin-token-file") { Description = "file holding the bearer token of the admin endpoints (the replicas' token: the router checks it and passes it on)" };
        var policy = new Option<string>("--policy") { Description = "affinity (consistent hashing on the model with bounded load) or round-robin", DefaultValueFactory = _ => "affinity" };
        policy.AcceptOnlyFromAmong("affinity", "round-robin");
        var loadFactor = new Option<double>("--load-factor") { Description = "bounded load: a replica takes a model's request while it has at most this × its share of the requests in flight", DefaultValueFactory = _ => BoundedLoadChooser.DefaultLoadFactor };
        var spillFloor = new Option<int>("--spill-floor") { Description = "requests in flight a replica always takes before it counts as over its share (the replicas' --max-batch)", DefaultValueFactory = _ => BoundedLoadChooser.DefaultFloor };
        var healthInterval = new Option<double>("--health-interval") { Description = "seconds between /health probes of each replica (two failures in a row take it out of the ring)", DefaultValueFactory = _ => 2 };
        var command = new Command("router", "Route OpenAI-style requests to `adapters serve` replicas by adapter (consistent hashing with bounded load, YARP).")
        {
            replicas, dns, dnsRefresh, host, port, tokenFile, policy, loadFactor, spillFloor, healthInterval,
        };
        command.SetAction(parse => console.Guard(() =>
        {
            if (!IPAddress.TryParse(parse.GetValue(host), out var address))
                throw new ArgumentException($"--host must be an IP address, got '{parse.GetValue(host)}'");
            if (parse.GetValue(dns) is null && parse.IsGiven(dnsRefresh))
                throw new ArgumentException("--dns-refresh applies only with --replica-dns");
            if (parse.GetValue(policy) == "round-robin" && parse.FirstGiven(loadFactor, spillFloor) is { } affinityOnly)
                throw new ArgumentException($"{affinityOnly.Name} applies only with --policy affinity (round-robin takes the replicas in turn)");
            var urls = (parse.GetValue(replicas) ?? []).Select(text =>
                Uri.TryCreate(text, UriKind.Absolute, out var url) ? url : throw new ArgumentException($"--replica must be an http:// URL, got '{text}'")).ToList();
            var options = new RouterOptions
            {
                Replicas = urls,
                ReplicaDns = parse.GetValue(dns),
                DnsRefresh = Seconds(parse.GetValue(dnsRefresh), "--dns-refresh"),
                BindAddress = address,
                Port = parse.GetValue(port),
                AdminTokenFile = parse.GetValue(tokenFile),
                Policy = parse.GetValue(policy) == "round-robin" ? RoutingPolicy.RoundRobin : RoutingPolicy.Affinity,
                LoadFactor = parse.GetValue(loadFactor),
                SpillFloor = parse.GetValue(spillFloor),
                HealthInterval = Seconds(parse.GetValue(healthInterval), "--health-interval"),
                ConsoleLogging = true,
            };
            Run(options, console).GetAwaiter().GetResult();
            return 0;
        }));
        return command;
    }

    static TimeSpan Seconds(double value, string option) =>
        value > 0 && value < TimeSpan.MaxValue.TotalSeconds ? TimeSpan.FromSeconds(value) : throw new ArgumentException($"{option} must be a positive number of seconds, got {value}");

    static async Task Run(RouterOptions options, CliConsole console)
    {
        await using var router = await RouterServer.StartAsync(options.Validate());
        console.Out.WriteLine($"routing at {router.Url}");
        await router.WaitForShutdownAsync();
        console.Info("router: shutting down");
    }
}
