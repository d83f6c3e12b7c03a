using System.Collections.Concurrent;
using System.Security.Cryptography;

namespace Adapters.Core.IO;

/// <summary>
/// A new folder under the temporary folder that belongs to this process while it runs: the
/// process holds its owner file open with an exclusive lock (flock on Unix), which the system
/// drops when the process dies. Disposing deletes the folder, and so does a normal exit. A process
/// killed before either (SIGKILL, the OOM killer, a crash) leaves it behind, with whatever it held
/// (a server's copies of its adapters: hundreds of MB); so the first folder of a prefix a process
/// creates (unless it swept that prefix itself) deletes, in the background, every folder with the
/// same prefix whose owner file nobody holds any more.
/// </summary>
public sealed class OwnedTempFolder : IDisposable
{
    /// <summary>The owner file, held locked by the owning process for the folder's life.</summary>
    public const string OwnerFileName = ".owner";

    /// <summary>
    /// A folder without an owner file (left by a version before owner files, or caught between its
    /// creation and its owner file) is left alone until it is this old: a day, so that a server of
    /// such a version still running beside a newer one keeps its folder unless it went a day
    /// without changing it.
    /// </summary>
    public static readonly TimeSpan UnownedGrace = TimeSpan.FromDays(1);

    static readonly Lazy<bool> LocksHold = new(CheckLocksHold);

    /// <summary>The (root, prefix) pairs this process has swept or started sweeping: once is enough.</summary>
    static readonly ConcurrentDictionary<(string Root, string Prefix), bool> Swept = new();

    readonly FileStream _owner;
    int _disposed;

    OwnedTempFolder(string fullName, FileStream owner)
    {
        FullName = fullName;
        _owner = owner;
        AppDomain.CurrentDomain.ProcessExit += OnProcessExit;
    }

    public string FullName { get; }

    /// <summary>
    /// Creates <c>{root}/{prefix}{random}</c> (root: the system's temporary folder), owned by this
    /// process, and, the first time this process meets the prefix there, starts deleting the
    /// abandoned folders of that prefix.
    /// </summary>
    public static OwnedTempFolder Create(string prefix, string? root = null)
    {
        root ??= Path.GetTempPath();
        var created = CreateOwned(root, prefix);
        if (Swept.TryAdd((root, prefix), true)) _ = Task.Run(() => DeleteAbandoned(root, prefix));
        return created;
    }

    static OwnedTempFolder CreateOwned(string root, string prefix)
    {
        for (int attempt = 0; ; attempt++)
        {
            string path = Path.Combine(root, prefix + RandomNameChars());
            if (OperatingSystem.IsWindows()) Directory.CreateDirectory(path);
            else Directory.CreateDirectory(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            try
            {
                // CreateNew: a folder that already had an owner file is somebody else's.
                var owner = new FileStream(Path.Combine(path, OwnerFileName), FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None);
                return new OwnedTempFolder(Path.GetFullPath(path), owner);
            }
            catch (IOException) when (attempt < 8 && File.Exists(Path.Combine(path, OwnerFileName))) { }
        }
    }

    static string RandomNameChars() => Convert.ToHexString(RandomNumberGenerator.GetBytes(6)).ToLowerInvariant();

    /// <summary>
    /// Deletes every <c>{root}/{prefix}*</c> folder whose owner file is not held, and those without
    /// one older than <see cref="UnownedGrace"/>; returns how many went. Folders of live processes,
    /// and anything it cannot read or delete, are left alone.
    /// </summary>
    public static int DeleteAbandoned(string root, string prefix)
    {
        Swept[(root, prefix)] = true;
        if (!LocksHold.Value) return 0; // a live owner could not be told from a dead one
        int deleted = 0;
        try
        {
            foreach (string folder in Directory.EnumerateDirectories(root, prefix + "*"))
                if (IsAbandoned(folder) && FolderDeletion.TryDelete(folder)) deleted++; // false: another sweeper was first
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { } // the root itself is unreadable
        return deleted;
    }

    static bool IsAbandoned(string folder)
    {
        try
        {
            if (new DirectoryInfo(folder).LinkTarget is not null) return false; // only real folders are ours
            string owner = Path.Combine(folder, OwnerFileName);
            if (!File.Exists(owner)) return DateTime.UtcNow - Directory.GetLastWriteTimeUtc(folder) > UnownedGrace;
            return OpensExclusively(owner); // the lock is free only when no process holds the file: its owner has gone
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; } // not ours to touch
    }

    /// <summary>True when this process can open the file with an exclusive lock, which no other holder allows.</summary>
    static bool OpensExclusively(string path)
    {
        try
        {
            using (new FileStream(path, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    /// <summary>
    /// False where an exclusive open does not exclude another (file locking switched off with
    /// DOTNET_SYSTEM_IO_DISABLEFILELOCKING, or a file system without it): nothing is then deleted.
    /// </summary>
    static bool CheckLocksHold()
    {
        string probe = Path.Combine(Path.GetTempPath(), $"adapters-lock-probe-{Environment.ProcessId}-{RandomNameChars()}");
        try
        {
            using var first = new FileStream(probe, FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose);
            return !OpensExclusively(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    void OnProcessExit(object? sender, EventArgs e) => Dispose();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        _owner.Dispose(); // the lock goes before the folder, which Windows would not delete with the file open
        FolderDeletion.TryDelete(FullName);
    }
}
