using System.Runtime.InteropServices;

namespace Adapters.TestSupport;

/// <summary>
/// Files that are not regular files, as an attacker plants them in an adapter folder: named pipes
/// (FIFOs), links to devices, and huge sparse files that take no disk space.
/// </summary>
public static class SpecialFiles
{
    const int OWronly = 0x1, ONonblock = 0x800;

    [DllImport("libc", EntryPoint = "mkfifo", SetLastError = true)]
    static extern int MkFifo(string path, uint mode);

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "close", SetLastError = true)]
    static extern int Close(int fd);

    /// <summary>Replaces <paramref name="path"/> (if present) by a named pipe nobody writes to: opening it for reading blocks.</summary>
    public static void Fifo(string path)
    {
        if (File.Exists(path)) File.Delete(path);
        if (MkFifo(path, Convert.ToUInt32("644", 8)) != 0)
            throw new IOException($"mkfifo {path} failed: errno {Marshal.GetLastPInvokeError()}");
    }

    /// <summary>
    /// Lets a reader blocked in open() on the FIFO go (it then reads end-of-file): opens the write
    /// end without blocking and closes it. Does nothing when nobody waits. Tests call it in finally,
    /// so code that does hang on a FIFO fails its test without blocking the rest of the run.
    /// </summary>
    public static void ReleaseFifo(string path)
    {
        for (int i = 0; i < 20; i++)
        {
            int fd = Open(path, OWronly | ONonblock);
            if (fd < 0) return; // ENXIO: no reader waiting; ENOENT: gone
            Close(fd);
            Thread.Sleep(10);
        }
    }

    /// <summary>Replaces <paramref name="path"/> by a symbolic link to <paramref name="target"/>.</summary>
    public static void Link(string path, string target)
    {
        if (File.Exists(path) || Directory.Exists(path))
        {
            if (Directory.Exists(path) && new DirectoryInfo(path).LinkTarget is null) Directory.Delete(path, recursive: true);
            else File.Delete(path);
        }
        if (Directory.Exists(target)) Directory.CreateSymbolicLink(path, target);
        else File.CreateSymbolicLink(path, target);
    }

    /// <summary>Replaces <paramref name="path"/> by a sparse file of <paramref name="bytes"/> bytes (zeros; no disk space used).</summary>
    public static void Sparse(string path, long bytes)
    {
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        file.SetLength(bytes);
    }
}
