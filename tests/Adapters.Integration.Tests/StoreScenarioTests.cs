using Adapters.Bench.Serving;
using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>
/// The store check, small: one replica with many more adapters in its store than it keeps in
/// memory. The thousand-adapter figures come from `adapters bench-serve --scenario store`.
/// </summary>
public class StoreScenarioTests
{
    [Fact]
    public async Task Every_store_adapter_registers_while_only_the_resident_limit_stays_in_memory()
    {
        string work = SharedModels.NewTempFolder("store-test");
        try
        {
            var result = await StoreScenario.RunAsync(new StoreOptions
            {
                Checkpoint = SharedModels.Stories260K,
                Tokenizer = SharedModels.Tok512,
                WorkFolder = work,
                Adapters = 60,
                MaxLoadedAdapters = 8,
                Concurrency = 3,
                Duration = TimeSpan.FromSeconds(3),
            });
            string report = result.ToMarkdown();
            Assert.Equal(60, result.Registered);
            Assert.True(result.Resident <= 8, report);
            Assert.Equal(0, result.Sweep.ServerErrors + result.BaseAlone.ServerErrors + result.BaseWithHits.ServerErrors + result.BaseWithMisses.ServerErrors);
            Assert.All(result.StoreRecords, r => Assert.Equal(ServeOutcome.Completed, r.Outcome));
            // Zipf over 60 with 8 places: both kinds occur, and the hot head makes hits far more common than
            // the 8/60 of uniform traffic (LRU under Zipf(1.1) gives about half here).
            Assert.True(result.Misses > 0 && result.HitRate > 2.0 * 8 / 60, report);
            Assert.Equal(result.HotAdapters.Requests, result.HotAdapters.Completed);
        }
        finally
        {
            try { Directory.Delete(work, recursive: true); }
            catch (IOException) { }
        }
    }
}
