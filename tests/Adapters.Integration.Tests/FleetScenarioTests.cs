using Adapters.Bench.Serving;
using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>
/// The fleet check, short: 3 `adapters serve` processes sharing an adapter store of 16
/// random stories260K LoRAs, `adapters router` in front, Zipf(1.1) traffic. The 60 s version is
/// `adapters bench-serve --scenario fleet --duration 60` (same code, longer phases).
/// </summary>
public class FleetScenarioTests
{
    /// <summary>Per phase; the kill phase runs about twice as long.</summary>
    static readonly TimeSpan PhaseDuration = TimeSpan.FromSeconds(12);

    [Fact]
    public async Task Affinity_keeps_adapter_loads_near_one_per_adapter_and_a_killed_replica_fails_only_its_streams()
    {
        string work = SharedModels.NewTempFolder("fleet-test");
        try
        {
            var result = await FleetScenario.RunAsync(new FleetOptions
            {
                Checkpoint = SharedModels.Stories260K,
                Tokenizer = SharedModels.Tok512,
                WorkFolder = work,
                Duration = PhaseDuration,
            });
            string report = result.ToMarkdown();
            // No server errors anywhere, in any phase.
            Assert.True(result.Affinity.Summary.ServerErrors + result.RoundRobin.Summary.ServerErrors + result.Kill.Summary.ServerErrors == 0, report);
            Assert.Equal(result.Affinity.Summary.Requests, result.Affinity.Summary.Completed);
            Assert.Equal(result.RoundRobin.Summary.Requests, result.RoundRobin.Summary.Completed);
            // Affinity: about one load per adapter; round-robin from cold replicas loads far more.
            Assert.True(result.Affinity.TotalLoads <= 1.25 * result.Options.Adapters, report);
            Assert.True(result.Affinity.TotalLoads >= result.Affinity.Summary.ModelReplicaPairs, report); // every copy the routing asked for was a load
            Assert.True(result.RoundRobin.TotalLoads > 1.5 * result.Affinity.TotalLoads, report);
            // The kill: only streams the killed replica was sending failed; everything else completed.
            Assert.Empty(result.UnexpectedFailures);
            Assert.Equal(result.Kill.Summary.Requests - result.Failures.Count, result.Kill.Summary.Completed);
            Assert.True(result.Failures.Count <= result.StreamsInFlightAtKill, report);
            // It left the ring while down and got its own adapters back once it returned.
            Assert.Equal(0, result.RoutedToKilledWhileDown);
            Assert.True(result.ServedByReturnedReplica > 0, report);
            var (same, compared) = result.Rebalanced();
            Assert.True(compared >= result.Options.Adapters / 2, report);
            Assert.True(same == compared, report);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); }
            catch (IOException) { }
        }
    }

    [Fact]
    public void Concurrency_and_max_tokens_must_be_at_least_one()
    {
        var options = new FleetOptions { Checkpoint = SharedModels.Stories260K, Tokenizer = SharedModels.Tok512, WorkFolder = "unused" };
        Assert.Contains("--concurrency must be >= 1, got 0", Assert.Throws<ArgumentException>(() => (options with { Concurrency = 0 }).Validate()).Message);
        Assert.Contains("--max-tokens must be >= 1, got 0", Assert.Throws<ArgumentException>(() => (options with { MaxTokens = 0 }).Validate()).Message);
    }
}
