using Adapters.Bench.Serving;

namespace Adapters.Router.Tests;

/// <summary>A client of bench-serve's load generator waits its think time between an answer and its next request.</summary>
public class LoadGeneratorThinkTimeTests
{
    [Fact]
    public async Task Each_client_waits_its_think_time_before_the_next_request()
    {
        await using var replica = await FakeReplica.StartAsync();
        var think = TimeSpan.FromMilliseconds(100);
        using var generator = new ServeLoadGenerator(new ServeLoadOptions
        {
            Url = replica.Url,
            Models = ["base"],
            Concurrency = 1,
            Duration = TimeSpan.FromMinutes(5), // bounded by the request count, not the clock
            MaxRequests = 4,
            ThinkTime = think,
            StreamFraction = 0,
        });

        var records = await generator.RunAsync();

        Assert.Equal(4, records.Count);
        Assert.All(records, r => Assert.Equal(200, r.Status));
        // One client: each request starts after the previous ended and the think time passed on the
        // run's clock (a timer alone may fire a coarse tick early; the generator waits out the rest).
        for (int i = 1; i < records.Count; i++)
            Assert.True(records[i].Start - records[i - 1].End >= think.TotalSeconds - 1e-9,
                $"request {i} started {1000 * (records[i].Start - records[i - 1].End):0.0} ms after the previous answer");
    }
}
