using Adapters.Router.Routing;

namespace Adapters.Router.Tests;

public class HashRingTests
{
    static readonly string[] Replicas = ["http://10.0.0.1:8000/", "http://10.0.0.2:8000/", "http://10.0.0.3:8000/"];
    static readonly string[] Models = Enumerable.Range(0, 600).Select(i => $"adapter-{i}").ToArray();

    [Fact]
    public void Walk_visits_every_replica_once_and_starts_at_a_stable_home()
    {
        var ring = new HashRing(Replicas);
        var again = new HashRing(Replicas.Reverse());
        foreach (string model in Models.Take(50))
        {
            var walk = ring.Walk(model).ToList();
            Assert.Equal(Replicas.Order(), walk.Order());
            Assert.Equal(walk, again.Walk(model)); // order of the --replica options does not matter
        }
    }

    [Fact]
    public void Homes_are_balanced_within_a_few_percent()
    {
        var ring = new HashRing(Replicas);
        var counts = Models.GroupBy(m => ring.Walk(m).First()).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(3, counts.Count);
        foreach (var (replica, count) in counts)
            Assert.True(count is > 150 and < 250, $"{replica} is home to {count} of 600 models");
    }

    [Fact]
    public void Removing_a_replica_moves_only_its_own_models_to_their_next_replica()
    {
        var full = new HashRing(Replicas);
        var without = new HashRing(Replicas.Where(r => r != Replicas[1]));
        int moved = 0;
        foreach (string model in Models)
        {
            var walk = full.Walk(model).ToList();
            string after = without.Walk(model).First();
            if (walk[0] == Replicas[1])
            {
                Assert.Equal(walk[1], after); // the rehash lands where a spill would have gone
                moved++;
            }
            else Assert.Equal(walk[0], after);
        }
        Assert.True(moved > 0);
    }
}
