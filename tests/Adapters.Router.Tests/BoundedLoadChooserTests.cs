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
    public void Only_the_hottest_model_at_an_over_bound_home_spills()
    {
        var walk = _ring.Walk("m").ToList();
        Func<string, int> load = r => r == walk[0] ? 8 : 0; // bound max(4, ⌈1.25 · 9 / 3⌉ = 4) = 4: over it
        Assert.Equal(ReplicaChoice.Home, BoundedLoadChooser.Choose(_ring, "m", All, load, 1.25, 4, _ => false)!.Reason);
        Assert.Equal(new ReplicaChoice(walk[1], ReplicaChoice.Spill), BoundedLoadChooser.Choose(_ring, "m", All, load, 1.25, 4, r => r == walk[0]));
        // Not over the bound: even the hottest stays home.
        Assert.Equal(ReplicaChoice.Home, BoundedLoadChooser.Choose(_ring, "m", All, r => r == walk[0] ? 3 : 0, 1.25, 4, _ => true)!.Reason);
    }

    [Fact]
    public void The_hottest_model_follows_recent_traffic()
    {
        long now = 0;
        var hot = new HotModels(() => now);
        long second = System.Diagnostics.Stopwatch.Frequency;
        for (int i = 0; i < 5; i++) hot.Record("r", "old");
        hot.Record("r", "new");
        Assert.True(hot.IsHottest("r", "old"));
        Assert.False(hot.IsHottest("r", "new"));
        Assert.False(hot.IsHottest("other", "old")); // never sent there
        now += 60 * second; // six half-lives: "old" decays to 5/64
        hot.Record("r", "new");
        Assert.True(hot.IsHottest("r", "new"));
        Assert.False(hot.IsHottest("r", "old"));
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
