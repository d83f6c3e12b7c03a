using Adapters.Router.Routing;

namespace Adapters.Router.Tests;

public class BoundedLoadChooserTests
{
    static readonly string[] Replicas = ["http://a:1/", "http://b:1/", "http://c:1/"];
    readonly HashRing _ring = new(Replicas);

    IReadOnlySet<string> All => Replicas.ToHashSet();

    [Fact]
    public void An_idle_fleet_sends_a_model_home()
    {
        var home = _ring.Walk("m").First();
        var choice = BoundedLoadChooser.Choose(_ring, "m", All, _ => 0, 1.25);
        Assert.Equal(new ReplicaChoice(home, ReplicaChoice.Home), choice);
    }

    [Fact]
    public void Over_its_share_the_home_spills_to_the_next_replica_on_the_ring()
    {
        var walk = _ring.Walk("m").ToList();
        // 6 in flight at home, none elsewhere: bound ⌈1.25 · 7 / 3⌉ = 3.
        var choice = BoundedLoadChooser.Choose(_ring, "m", All, r => r == walk[0] ? 6 : 0, 1.25);
        Assert.Equal(new ReplicaChoice(walk[1], ReplicaChoice.Spill), choice);
        // The next one over its share too: the one after.
        choice = BoundedLoadChooser.Choose(_ring, "m", All, r => r == walk[2] ? 0 : 6, 1.25);
        Assert.Equal(new ReplicaChoice(walk[2], ReplicaChoice.Spill), choice);
    }

    [Fact]
    public void Under_the_floor_a_replica_is_never_over_its_share()
    {
        var walk = _ring.Walk("m").ToList();
        Assert.Equal(ReplicaChoice.Home, BoundedLoadChooser.Choose(_ring, "m", All, r => r == walk[0] ? 3 : 0, 1.25, floor: 4)!.Reason);
        Assert.Equal(ReplicaChoice.Spill, BoundedLoadChooser.Choose(_ring, "m", All, r => r == walk[0] ? 4 : 0, 1.25, floor: 4)!.Reason);
    }

    [Fact]
    public void Only_the_hot_busiest_model_at_an_overloaded_home_spills()
    {
        var walk = _ring.Walk("m").ToList();
        Func<string, int> load = r => r == walk[0] ? 8 : 0; // bound max(4, ⌈1.25 · 9 / 3⌉ = 4) = 4: over it
        Func<string, int> hottest = r => r == walk[0] ? 3 : 0;
        Assert.Equal(ReplicaChoice.Home, BoundedLoadChooser.Choose(_ring, "m", All, load, 1.25, 4, r => r == walk[0] ? 0 : 0, hottest)!.Reason);
        // Equally busy models, one request each: cold, they queue at home.
        Assert.Equal(ReplicaChoice.Home, BoundedLoadChooser.Choose(_ring, "m", All, load, 1.25, 4, r => r == walk[0] ? 1 : 0, r => r == walk[0] ? 1 : 0)!.Reason);
        Assert.Equal(ReplicaChoice.Home, BoundedLoadChooser.Choose(_ring, "m", All, load, 1.25, 4, r => r == walk[0] ? 2 : 0, hottest)!.Reason);
        Assert.Equal(new ReplicaChoice(walk[1], ReplicaChoice.Spill), BoundedLoadChooser.Choose(_ring, "m", All, load, 1.25, 4, r => r == walk[0] ? 3 : 0, hottest));
        // Not over the bound: even the busiest stays home.
        Assert.Equal(ReplicaChoice.Home, BoundedLoadChooser.Choose(_ring, "m", All, r => r == walk[0] ? 3 : 0, 1.25, 4, r => r == walk[0] ? 3 : 0, hottest)!.Reason);
    }

    [Fact]
    public void A_replica_that_is_not_available_is_skipped_and_none_available_is_null()
    {
        var walk = _ring.Walk("m").ToList();
        var choice = BoundedLoadChooser.Choose(_ring, "m", walk.Skip(1).ToHashSet(), _ => 0, 1.25);
        Assert.Equal(new ReplicaChoice(walk[1], ReplicaChoice.Home), choice); // the rehashed home
        Assert.Null(BoundedLoadChooser.Choose(_ring, "m", new HashSet<string>(), _ => 0, 1.25));
        Assert.Throws<ArgumentOutOfRangeException>(() => BoundedLoadChooser.Choose(_ring, "m", All, _ => 0, 0.5));
    }
}
