using Adapters.Host.Admin;
using Adapters.TestSupport;

namespace Adapters.Host.Tests;

/// <summary>Path confinement on its own: as written and after every symbolic link is resolved.</summary>
public sealed class AdapterPathPolicyTests : IDisposable
{
    readonly string _root = SharedModels.NewTempFolder("path-policy");
    string Adapters => Path.Combine(_root, "adapters");
    string Outside => Path.Combine(_root, "outside");

    public AdapterPathPolicyTests()
    {
        Directory.CreateDirectory(Path.Combine(Adapters, "a", "lora"));
        Directory.CreateDirectory(Path.Combine(Outside, "lora"));
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    static int StatusOf(Action action) => Assert.Throws<AdapterPathException>(action).StatusCode;

    [Fact]
    public void Path_inside_the_root_resolves_to_its_full_path()
    {
        var policy = new AdapterPathPolicy([Adapters]);
        Assert.Equal(Path.Combine(Adapters, "a", "lora"), policy.Resolve(Path.Combine(Adapters, "a", "lora")));
        Assert.Equal(Path.Combine(Adapters, "a", "lora"), policy.Resolve("a/lora")); // relative to the first root
    }

    [Fact]
    public void Dot_dot_is_refused_even_when_it_would_stay_inside()
    {
        var policy = new AdapterPathPolicy([Adapters]);
        Assert.Equal(400, StatusOf(() => policy.Resolve("a/../a/lora")));
        Assert.Equal(400, StatusOf(() => policy.Resolve(Adapters + "/../outside")));
    }

    [Fact]
    public void Link_in_an_intermediate_folder_that_leaves_the_root_is_refused()
    {
        Directory.CreateSymbolicLink(Path.Combine(Adapters, "jump"), Outside);
        var policy = new AdapterPathPolicy([Adapters]);
        Assert.Equal(403, StatusOf(() => policy.Resolve("jump/lora")));
    }

    [Fact]
    public void Chain_of_links_ending_outside_is_refused()
    {
        Directory.CreateSymbolicLink(Path.Combine(Outside, "back"), Outside);
        Directory.CreateSymbolicLink(Path.Combine(Adapters, "first"), Path.Combine(Outside, "back"));
        var policy = new AdapterPathPolicy([Adapters]);
        Assert.Equal(403, StatusOf(() => policy.Resolve("first")));
    }

    [Fact]
    public void Link_that_stays_inside_the_root_is_allowed()
    {
        Directory.CreateSymbolicLink(Path.Combine(Adapters, "alias"), Path.Combine(Adapters, "a"));
        var policy = new AdapterPathPolicy([Adapters]);
        Assert.Equal(Path.Combine(Adapters, "a", "lora"), policy.Resolve("alias/lora"));
    }

    [Fact]
    public void Root_reached_through_a_link_still_confines()
    {
        string linkedRoot = Path.Combine(_root, "linked-root");
        Directory.CreateSymbolicLink(linkedRoot, Adapters);
        var policy = new AdapterPathPolicy([linkedRoot]);
        Assert.Equal(Path.Combine(Adapters, "a", "lora"), policy.Resolve(Path.Combine(linkedRoot, "a", "lora")));
        Assert.Equal(403, StatusOf(() => policy.Resolve(Path.Combine(Outside, "lora"))));
    }

    [Fact]
    public void No_roots_refuses_everything_and_missing_root_fails_at_start()
    {
        Assert.Equal(403, StatusOf(() => new AdapterPathPolicy([]).Resolve(Adapters)));
        Assert.Throws<DirectoryNotFoundException>(() => new AdapterPathPolicy([Path.Combine(_root, "missing")]));
    }

    [Fact]
    public void Sibling_with_the_root_as_name_prefix_is_outside()
    {
        Directory.CreateDirectory(Adapters + "-evil");
        var policy = new AdapterPathPolicy([Adapters]);
        Assert.Equal(403, StatusOf(() => policy.Resolve(Adapters + "-evil")));
    }
}
