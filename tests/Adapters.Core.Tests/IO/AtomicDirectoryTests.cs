using Adapters.Core.IO;
using Adapters.TestSupport;

namespace Adapters.Core.Tests.IO;

/// <summary>
/// Every state a kill can leave <see cref="AtomicFile.WriteDirectory"/> in (the folder is built
/// aside, the old one renamed away, the new one renamed in) recovers to a complete folder, the
/// previous or the new one, and leaves no temporary folders behind.
/// </summary>
public sealed class AtomicDirectoryTests : IDisposable
{
    readonly string _root = SharedModels.NewTempFolder("atomic-dir");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    static string Make(string path, string content)
    {
        Directory.CreateDirectory(path);
        File.WriteAllText(Path.Combine(path, "state.txt"), content);
        return path;
    }

    static string Content(string path) => File.ReadAllText(Path.Combine(path, "state.txt"));

    [Fact]
    public void Killed_while_building_keeps_the_previous_folder_and_drops_the_half_built_one()
    {
        string root = _root;
        string target = Make(Path.Combine(root, "checkpoint"), "step 10");
        Directory.CreateDirectory(Path.Combine(root, "checkpoint.tmp-123-abc")); // half built, no state

        Assert.False(AtomicFile.RecoverDirectory(target));
        Assert.Equal("step 10", Content(target));
        Assert.Equal(["checkpoint"], Directory.GetDirectories(root).Select(Path.GetFileName));
    }

    [Fact]
    public void Killed_between_the_two_renames_puts_the_previous_folder_back()
    {
        string root = _root;
        Make(Path.Combine(root, "checkpoint.old-123-abc"), "step 10");   // renamed aside
        Make(Path.Combine(root, "checkpoint.tmp-123-def"), "step 20");   // complete, not yet renamed in
        string target = Path.Combine(root, "checkpoint");

        Assert.True(AtomicFile.RecoverDirectory(target));
        Assert.Equal("step 10", Content(target));
        Assert.Equal(["checkpoint"], Directory.GetDirectories(root).Select(Path.GetFileName));
    }

    [Fact]
    public void Killed_before_deleting_the_old_folder_keeps_the_new_one()
    {
        string root = _root;
        string target = Make(Path.Combine(root, "checkpoint"), "step 20");
        Make(Path.Combine(root, "checkpoint.old-123-abc"), "step 10");

        Assert.False(AtomicFile.RecoverDirectory(target));
        Assert.Equal("step 20", Content(target));
        Assert.Equal(["checkpoint"], Directory.GetDirectories(root).Select(Path.GetFileName));
    }

    [Fact]
    public void The_next_write_cleans_what_an_earlier_kill_left_and_replaces_the_folder()
    {
        string root = _root;
        string target = Make(Path.Combine(root, "export"), "v1");
        Directory.CreateDirectory(Path.Combine(root, "export.tmp-9-x"));
        Make(Path.Combine(root, "export.old-9-y"), "v0");

        AtomicFile.WriteDirectory(target, tmp => File.WriteAllText(Path.Combine(tmp, "state.txt"), "v2"));
        Assert.Equal("v2", Content(target));
        Assert.Equal(["export"], Directory.GetDirectories(root).Select(Path.GetFileName));
    }

    [Fact]
    public void A_failed_build_leaves_the_previous_folder_and_no_temporary_one()
    {
        string root = _root;
        string target = Make(Path.Combine(root, "export"), "v1");
        Assert.Throws<InvalidOperationException>(() => AtomicFile.WriteDirectory(target, _ => throw new InvalidOperationException("boom")));
        Assert.Equal("v1", Content(target));
        Assert.Equal(["export"], Directory.GetDirectories(root).Select(Path.GetFileName));
    }
}
