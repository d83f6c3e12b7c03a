using System.CommandLine;
using System.Net;
using Adapters.Core.IO;
using Adapters.Host;
using Adapters.Host.Admin;
using Adapters.Runtime.Serving;

namespace Adapters.Cli.Commands;

/// <summary>
/// `adapters serve`: an OpenAI-compatible HTTP server for an exported ONNX folder (thin wrapper
/// over <see cref="HostServer"/>). A folder exported with --mode swappable or batched is served by
/// the continuous-batching scheduler with runtime adapter loading; any other by one session per request.
/// </summary>
public static class ServeCommand
{
    /// <summary>vLLM's default port, so clients configured for it work unchanged.</summary>
    const int DefaultPort = 8000;

    public static Command Create(CliConsole console)
    {
        var model = CommonOptions.Model("exported ONNX folder (from `adapters export`)");
        var adapters = new Option<string[]>("--adapters") { Description = "folder that lora_path of /v1/load_lora_adapter must lie inside; its top-level *.adapter.json are served from start (repeatable)", AllowMultipleArgumentsPerToken = true };
        var host = new Option<string>("--host") { Description = "address to bind (default loopback; others need --admin-token-file)", DefaultValueFactory = _ => IPAddress.Loopback.ToString() };
        var port = new Option<int>("--port") { Description = "TCP port (0 = any free port)", DefaultValueFactory = _ => DefaultPort };
        var name = new Option<string?>("--served-model-name") { Description = "name requests use for the base model (default: the folder's name)" };
        var maxBatch = new Option<int>("--max-batch") { Description = "requests generating at once", DefaultValueFactory = _ => HostServerOptions.DefaultMaxBatch };
        var maxQueue = new Option<int>("--max-queue") { Description = "requests waiting for a slot before 429", DefaultValueFactory = _ => HostServerOptions.DefaultMaxQueue };
        var maxLoaded = new Option<int>("--max-loaded-adapters") { Description = "adapter versions in memory at once, a count (LRU eviction beyond; evicted ones are read back on their next request)", DefaultValueFactory = _ => HostServerOptions.DefaultMaxLoadedAdapters };
        var timeout = new Option<double>("--request-timeout") { Description = "seconds a request may wait and generate before 504", DefaultValueFactory = _ => HostServerOptions.DefaultRequestTimeout.TotalSeconds };
        var loadTimeout = new Option<double>("--adapter-load-timeout") { Description = "seconds one /v1/load_lora_adapter may read and check its files before 504", DefaultValueFactory = _ => HostServerOptions.DefaultAdapterLoadTimeout.TotalSeconds };
        var tokenFile = new Option<string?>("--admin-token-file") { Description = "file holding the bearer token of the adapter admin endpoints" };
        var threads = CommonOptions.Threads();
        var command = new Command("serve", "Serve an exported model over an OpenAI-compatible HTTP API (/v1/completions, /v1/models).")
        {
            model, adapters, host, port, name, maxBatch, maxQueue, maxLoaded, timeout, loadTimeout, tokenFile, threads,
        };
        command.SetAction(parse => console.Guard(() =>
        {
            if (!IPAddress.TryParse(parse.GetValue(host), out var address))
                throw new ArgumentException($"--host must be an IP address, got '{parse.GetValue(host)}'");
            if (parse.FirstGiven(adapters, maxLoaded, loadTimeout) is { } adapterOnly
                && !HostServer.LoadsAdapters(parse.GetValue(model)!))
                throw new ArgumentException($"{adapterOnly.Name} applies only to a model exported with adapter inputs (--mode swappable or batched); " +
                    $"{parse.GetValue(model)} has none and is served base-model only");
            var options = new HostServerOptions
            {
                ModelFolder = parse.GetValue(model)!,
                ServedModelName = parse.GetValue(name),
                AdapterRoots = parse.GetValue(adapters) ?? [],
                BindAddress = address,
                Port = parse.GetValue(port),
                MaxBatch = parse.GetValue(maxBatch),
                MaxQueue = parse.GetValue(maxQueue),
                MaxLoadedAdapters = parse.GetValue(maxLoaded),
                RequestTimeout = Seconds(parse.GetValue(timeout), "--request-timeout"),
                AdapterLoadTimeout = Seconds(parse.GetValue(loadTimeout), "--adapter-load-timeout"),
                AdminTokenFile = parse.GetValue(tokenFile),
                IntraOpThreads = parse.GetValue(threads) ?? 0,
                ConsoleLogging = true,
            };
            Run(options, console).GetAwaiter().GetResult();
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// A server killed before it could delete its temporary folders (SIGKILL, the OOM killer) leaves
    /// them, with its copies of every adapter it served; this one deletes those whose owner has gone
    /// before it starts, and says so (the store it makes would also do it, silently, in the background).
    /// </summary>
    static void DeleteFoldersOfKilledServers(CliConsole console)
    {
        string temp = Path.GetTempPath();
        int deleted = OwnedTempFolder.DeleteAbandoned(temp, ServedAdapterStore.TemporaryPrefix)
            + OwnedTempFolder.DeleteAbandoned(temp, RegistryAdapterAdmin.TemporaryPrefix);
        if (deleted > 0)
            console.Info($"serve: deleted {deleted} temporary folder(s) that servers killed before they could clean up left in {temp} " +
                $"({ServedAdapterStore.TemporaryPrefix}*, {RegistryAdapterAdmin.TemporaryPrefix}*)");
    }

    static TimeSpan Seconds(double value, string option) =>
        double.IsFinite(value) && value > 0 && value <= TimeSpan.MaxValue.TotalSeconds / 2
            ? TimeSpan.FromSeconds(value) : throw new ArgumentException($"{option} must be a positive number of seconds, got {value}");

    /// <summary>Starts the server, prints its URL on stdout, and serves until Ctrl+C or SIGTERM (then shuts down gracefully).</summary>
    public static async Task Run(HostServerOptions options, CliConsole console)
    {
        DeleteFoldersOfKilledServers(console);
        await using var server = await HostServer.StartAsync(options.Validate());
        console.Out.WriteLine($"serving {server.Backend.BaseModelName} at {server.Url}");
        var adapters = server.Backend.Models.Skip(1).Select(m => m.Id).ToList(); // the base model comes first
        if (adapters.Count > 0) console.Info($"serve: adapters {string.Join(", ", adapters)}");
        await server.WaitForShutdownAsync();
        console.Info("serve: shutting down");
    }
}
