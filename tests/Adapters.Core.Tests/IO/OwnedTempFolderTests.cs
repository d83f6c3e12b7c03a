using System.Diagnostics;
using Adapters.Core.IO;
using Adapters.TestSupport;

namespace Adapters.Core.Tests.IO;

/// <summary>
/// A process's temporary folder outlives it only until the next one of that prefix is made: the
/// folders of dead owners go, those of live owners (in this process or another) and anything not
/// shaped like an owned folder stay.
/// </summary>
public sealed class OwnedTempFolderTests : IDisposable
{
    const string Prefix = "owned-test-";
    readonly string _root = SharedModels.NewTempFolder("owned-temp");

    public void Dispose() => Directory.Delete(_root, recursive: true);

    string Folder(string name, bool withOwnerFile, string content = "weights")
    {
        string path = Directory.CreateDirectory(Path.Combine(_root, Prefix + name)).FullName;
        File.WriteAllText(Path.Combine(path, "copy.bin"), content);
        if (withOwnerFile) File.WriteAllText(Path.Combine(path, OwnedTempFolder.OwnerFileName), "");
        return path;
    }

    [Fact]
    public void A_folder_whose_owner_is_gone_is_deleted_and_a_live_owners_folder_is_kept()
    {
        string dead = Folder("dead", withOwnerFile: true);
        using var live = OwnedTempFolder.Create(Prefix, _root); // its background sweep may be the one to delete the dead folder
        File.WriteAllText(Path.Combine(live.FullName, "copy.bin"), "mine");

        OwnedTempFolder.DeleteAbandoned(_root, Prefix);
        Assert.True(SpinWait.SpinUntil(() => !Directory.Exists(dead), TimeSpan.FromSeconds(20)), "the dead owner's folder is still there");
        Assert.Equal(0, OwnedTempFolder.DeleteAbandoned(_root, Prefix)); // the live folder is not abandoned
        Assert.Equal("mine", File.ReadAllText(Path.Combine(live.FullName, "copy.bin")));
    }

    [Fact]
    public void Another_process_holding_the_owner_file_keeps_its_folder_until_it_is_killed()
    {
        string held = Folder("other-process", withOwnerFile: true);
        // flock(1) takes the same advisory lock .NET takes for FileShare.None, from another process.
        var holder = Process.Start(new ProcessStartInfo("flock", ["--exclusive", Path.Combine(held, OwnedTempFolder.OwnerFileName), "sleep", "60"])
            { RedirectStandardError = true })!;
        try
        {
            string owner = Path.Combine(held, OwnedTempFolder.OwnerFileName);
            Assert.True(SpinWait.SpinUntil(() => IsLocked(owner), TimeSpan.FromSeconds(20)), "flock never took the lock");

            Assert.Equal(0, OwnedTempFolder.DeleteAbandoned(_root, Prefix));
            Assert.True(File.Exists(Path.Combine(held, "copy.bin")));

            holder.Kill(entireProcessTree: true); // SIGKILL (sleep shares the locked file): no clean-up of its own, the kernel drops the lock
            holder.WaitForExit();
            Assert.True(SpinWait.SpinUntil(() => !IsLocked(owner), TimeSpan.FromSeconds(20)), "the lock outlived the killed processes");
            Assert.Equal(1, OwnedTempFolder.DeleteAbandoned(_root, Prefix));
            Assert.False(Directory.Exists(held));
        }
        finally
        {
            if (!holder.HasExited) holder.Kill(entireProcessTree: true);
            holder.Dispose();
        }
    }

    static bool IsLocked(string path)
    {
        try
        {
            using (new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) return false;
        }
        catch (IOException) { return true; }
    }

    [Fact]
    public void Folders_without_an_owner_file_go_only_when_old_and_other_names_are_never_touched()
    {
        string fresh = Folder("fresh-unowned", withOwnerFile: false);
        string old = Folder("old-unowned", withOwnerFile: false);
        Directory.SetLastWriteTimeUtc(old, DateTime.UtcNow - OwnedTempFolder.UnownedGrace - TimeSpan.FromMinutes(1));
        string otherPrefix = Directory.CreateDirectory(Path.Combine(_root, "someone-else-dead")).FullName;
        File.WriteAllText(Path.Combine(otherPrefix, OwnedTempFolder.OwnerFileName), "");
        string file = Path.Combine(_root, Prefix + "a-file");
        File.WriteAllText(file, "not a folder");
        // A link named like an abandoned folder: neither it nor what it points to is deleted.
        string target = Folder("link-target", withOwnerFile: false, content: "kept"); // young: kept on its own account
        string link = Path.Combine(_root, Prefix + "link");
        Directory.CreateSymbolicLink(link, target);

        Assert.Equal(1, OwnedTempFolder.DeleteAbandoned(_root, Prefix));
        Assert.False(Directory.Exists(old));
        Assert.True(Directory.Exists(fresh));
        Assert.True(Directory.Exists(otherPrefix));
        Assert.True(File.Exists(file));
        Assert.True(Directory.Exists(link));
        Assert.Equal("kept", File.ReadAllText(Path.Combine(target, "copy.bin")));
    }

    [Fact]
    public void Disposing_deletes_the_folder_and_creating_one_sweeps_the_abandoned()
    {
        string dead = Folder("dead-before-create", withOwnerFile: true);
        var owned = OwnedTempFolder.Create(Prefix, _root);
        Assert.StartsWith(Path.Combine(_root, Prefix), owned.FullName);
        Assert.True(File.Exists(Path.Combine(owned.FullName, OwnedTempFolder.OwnerFileName)));
        Assert.True(SpinWait.SpinUntil(() => !Directory.Exists(dead), TimeSpan.FromSeconds(20)), "the background sweep left the dead owner's folder");
        Assert.True(Directory.Exists(owned.FullName)); // its own sweep keeps it

        owned.Dispose();
        owned.Dispose();
        Assert.False(Directory.Exists(owned.FullName));
    }
}
