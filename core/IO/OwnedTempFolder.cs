using System.Security.Cryptography;

namespace Adapters.Core.IO;

/// <summary>
/// A new folder under the temporary folder that belongs to this process while it runs: the
/// process holds its owner file open with an exclusive lock (flock on Unix), which the system
/// drops when the process dies. Disposing deletes the folder, and so does a normal exit. A process
/// killed before either (SIGKILL, the OOM killer, a crash) leaves it behind, with whatever it held
/// (a server's copies of its adapters: hundreds of MB); so creating a folder first deletes, in the
/// background, every folder with the same prefix whose owner file nobody holds any more.
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
    /// process, and starts deleting the abandoned folders of that prefix there.
    /// </summary>
    public static OwnedTempFolder Create(string prefix, string? root = null)
    {
        root ??= Path.GetTempPath();
        var created = CreateOwned(root, prefix);
        _ = Task.Run(() => DeleteAbandoned(root, prefix));
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
        if (!LocksHold.Value) return 0; // a live owner could not be told from a dead one
        int deleted = 0;
        try
        {
            foreach (string folder in Directory.EnumerateDirectories(root, prefix + "*"))
                if (IsAbandoned(folder) && TryDelete(folder)) deleted++;
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
            // The lock is free only when no process holds the file: its owner has gone.
            using (new FileStream(owner, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; } // held, or not ours to touch
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
            try
            {
                using (new FileStream(probe, FileMode.Open, FileAccess.ReadWrite, FileShare.None)) return false;
            }
            catch (IOException) { return true; }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; }
    }

    static bool TryDelete(string folder)
    {
        try
        {
            Directory.Delete(folder, recursive: true);
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return false; } // another sweeper was first, or not ours
    }

    void OnProcessExit(object? sender, EventArgs e) => Dispose();

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1) return;
        AppDomain.CurrentDomain.ProcessExit -= OnProcessExit;
        _owner.Dispose(); // the lock goes before the folder, which Windows would not delete with the file open
        TryDelete(FullName);
    }
}
