using Adapters.Cli;

namespace Adapters.Router.Tests;

/// <summary>Bad options of `router` and `bench-serve` are one plain error: line on stderr, nothing on stdout, exit 1.</summary>
public class RouterCliErrorTests
{
    [Theory]
    [InlineData("at least one replica", "router")]
    [InlineData("http:// URL", "router", "--replica", "not a url")]
    [InlineData("without a path", "router", "--replica", "http://127.0.0.1:9/v1")]
    [InlineData("NAME:PORT", "router", "--replica-dns", "svc")]
    [InlineData("'round-robin'", "router", "--replica", "http://127.0.0.1:9", "--policy", "random")]
    [InlineData("admin token", "router", "--replica", "http://127.0.0.1:9", "--host", "0.0.0.0")]
    [InlineData("either --url", "bench-serve")]
    [InlineData("--adapters N", "bench-serve", "--url", "http://127.0.0.1:9")]
    [InlineData("--duration", "bench-serve", "--url", "http://127.0.0.1:9", "--adapters", "2", "--duration", "-1")]
    [InlineData("--stream-fraction", "bench-serve", "--url", "http://127.0.0.1:9", "--adapters", "2", "--stream-fraction", "2")]
    [InlineData("--windows", "bench-serve", "--scenario", "store", "--windows", "5")]
    [InlineData("--think-ms", "bench-serve", "--url", "http://127.0.0.1:9", "--adapters", "2", "--think-ms", "-5")]
    [InlineData("not supported by the fleet scenario", "bench-serve", "--scenario", "fleet", "--think-ms", "20")]
    // Options a combination does not use are refused, not ignored (each row fails fast without the refusal, on a later check or a 1 s run).
    [InlineData("--dns-refresh applies only with --replica-dns", "router", "--replica", "http://127.0.0.1:9", "--dns-refresh", "5", "--health-interval", "-1")]
    [InlineData("--load-factor applies only with --policy affinity", "router", "--replica", "http://127.0.0.1:9", "--policy", "round-robin", "--load-factor", "2", "--health-interval", "-1")]
    [InlineData("--spill-floor applies only with --policy affinity", "router", "--replica", "http://127.0.0.1:9", "--policy", "round-robin", "--spill-floor", "2", "--health-interval", "-1")]
    [InlineData("--windows applies only to --scenario store, not to --url", "bench-serve", "--url", "http://127.0.0.1:9", "--adapters", "2", "--duration", "1", "--windows", "6")]
    [InlineData("--threads applies only to --scenario fleet and --scenario store, not to --url", "bench-serve", "--url", "http://127.0.0.1:9", "--adapters", "2", "--duration", "1", "--threads", "2")]
    [InlineData("--stream-fraction applies only to --url and --scenario fleet, not to --scenario store", "bench-serve", "--scenario", "store", "--stream-fraction", "0.2", "--windows", "5")]
    [InlineData("--replicas applies only to --scenario fleet, not to --scenario store", "bench-serve", "--scenario", "store", "--replicas", "4", "--windows", "5")]
    [InlineData("--requests applies only to --url, not to --scenario fleet", "bench-serve", "--scenario", "fleet", "--requests", "4", "--duration", "1")]
    [InlineData("--adapters N or --models a,b,c, not both", "bench-serve", "--url", "http://127.0.0.1:9", "--adapters", "2", "--models", "a,b", "--duration", "1")]
    [InlineData("--adapters must be >= 1, got -1", "bench-serve", "--url", "http://127.0.0.1:9", "--adapters", "-1", "--duration", "1")]
    public void Bad_options_are_one_error_line(string fragment, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CliApp.Run(args, stdout, stderr, new StringReader(""));
        string error = stderr.ToString().Trim();
        Assert.Equal(1, code);
        Assert.Equal("", stdout.ToString());
        Assert.StartsWith("error: ", error);
        Assert.Single(error.Split('\n'));
        Assert.Contains(fragment, error);
    }
}
