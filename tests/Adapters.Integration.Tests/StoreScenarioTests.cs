using Adapters.Bench.Serving;
using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>
/// The store check, small: one replica with many more adapters in its store than it keeps in
/// memory, hits-only and misses windows interleaved. The thousand-adapter figures come from
/// `adapters bench-serve --scenario store`.
/// </summary>
public class StoreScenarioTests
{
    static StoreOptions Small(string work) => new()
    {
        Checkpoint = SharedModels.Stories260K,
        Tokenizer = SharedModels.Tok512,
        WorkFolder = work,
        Adapters = 60,
        MaxLoadedAdapters = 8,
        Concurrency = 3,
        Duration = TimeSpan.FromSeconds(3),
        Windows = 4,
    };

    [Fact]
    public async Task Every_store_adapter_registers_while_only_the_resident_limit_stays_in_memory_and_misses_happen_only_in_misses_windows()
    {
        string work = SharedModels.NewTempFolder("store-test");
        try
        {
            var result = await StoreScenario.RunAsync(Small(work));
            string report = result.ToMarkdown();
            Assert.Equal(60, result.Registered);
            Assert.True(result.Resident <= 8, report);
            Assert.Equal(0, result.Sweep.ServerErrors + result.WarmUps.ServerErrors + result.BaseAlone.ServerErrors + result.BaseAloneAgain.ServerErrors);
            Assert.Equal([StoreCondition.HitsOnly, StoreCondition.Misses, StoreCondition.Misses, StoreCondition.HitsOnly], result.Windows.Select(w => w.Condition));
            Assert.All(result.Windows, w =>
            {
                // Both conditions are measured in every window, each request inside its own window only.
                Assert.NotEmpty(w.Base);
                Assert.All(w.Base, r => Assert.InRange(r.Start, w.Start + StoreWindow.SettleTime.TotalSeconds, w.End));
                Assert.All(w.Base, r => Assert.True(r.End <= w.End, report));
                Assert.All(w.Base.Concat(w.Adapters), r => Assert.Equal(ServeOutcome.Completed, r.Outcome));
                Assert.NotEmpty(w.Adapters);
            });
            // The warm-up before each hits-only window brings the resident set back after a misses window evicted part of it.
            Assert.All(result.Windows.Where(w => w.Condition == StoreCondition.HitsOnly).SelectMany(w => w.Adapters), r => Assert.Equal("hit", r.Cache));
            Assert.All(result.Windows.Where(w => w.Condition == StoreCondition.Misses), w => Assert.Contains(w.Adapters, r => r.Cache == "miss"));
            // Zipf over 60 with 8 places: the hot head makes hits far more common than the 8/60 of
            // uniform traffic (LRU under Zipf(1.1) gives about half here).
            Assert.True(result.HitRate > 2.0 * 8 / 60, report);
            Assert.Equal(result.BaseWithHits.Completed + result.BaseWithMisses.Completed, result.Windows.Sum(w => w.Base.Count));
            Assert.True(result.HitsControl > 0 && result.MissesControl > 0 && result.MissesOverHits > 0, report);
            // The replica's own counters cover each window: it generated tokens and allocated while serving them.
            Assert.All(result.Windows, w => Assert.True(w.Server.GeneratedTokens > 0 && w.Server.AllocatedBytes > 0 && w.Server.Seconds > 0, report));
            Assert.True(result.AloneServer.GeneratedTokens > 0 && result.AloneAgainServer.AllocatedBytes > 0, report);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); }
            catch (IOException) { }
        }
    }

    [Theory]
    [InlineData(5)]
    [InlineData(2)]
    [InlineData(0)]
    public void Windows_must_be_even_and_at_least_four(int windows)
    {
        var error = Assert.Throws<ArgumentException>(() => (Small("unused") with { Windows = windows }).Validate());
        Assert.Contains("--windows", error.Message);
    }

    [Fact]
    public void Concurrency_and_max_tokens_must_be_at_least_one()
    {
        // Concurrency 0 made the sweep step by 0 and never end.
        Assert.Contains("--concurrency must be >= 1, got 0", Assert.Throws<ArgumentException>(() => (Small("unused") with { Concurrency = 0 }).Validate()).Message);
        Assert.Contains("--max-tokens must be >= 1, got 0", Assert.Throws<ArgumentException>(() => (Small("unused") with { MaxTokens = 0 }).Validate()).Message);
    }

    [Fact]
    public void Windows_must_outlast_the_settle_time()
    {
        var error = Assert.Throws<ArgumentException>(() => (Small("unused") with { Duration = TimeSpan.FromSeconds(1), Windows = 8 }).Validate());
        Assert.Contains("settle time", error.Message);
    }
}
