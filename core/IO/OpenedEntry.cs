using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Adapters.Core.IO;

/// <summary>
/// One file or folder opened for an untrusted read, checked on the open handle itself (Linux):
/// open(2) with O_NONBLOCK (a named pipe opens at once instead of waiting for a writer), then
/// statx(2) on the descriptor for its type and size, and readlink of /proc/self/fd/N for the real
/// path of what was opened. Checking the handle, not the path, closes the race where a path is
/// swapped for a link between a check and the read. Elsewhere the checks run on the path (best effort).
/// </summary>
internal sealed class OpenedEntry : IDisposable
{
    // Linux values shared by x86-64 and arm64 (asm-generic): O_RDONLY 0, O_NOCTTY 0400, O_NONBLOCK 04000, O_CLOEXEC 02000000.
    const int OpenFlags = 0x100 | 0x800 | 0x80000;
    const int AtEmptyPath = 0x1000;
    const uint StatxType = 0x1, StatxSize = 0x200;
    const int StatxBufferBytes = 256, StatxModeOffset = 28, StatxSizeOffset = 40;
    const int ENOENT = 2, ENXIO = 6, EACCES = 13, ENOTDIR = 20, ELOOP = 40;

    [DllImport("libc", EntryPoint = "open", SetLastError = true)]
    static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    static extern int Statx(int dirfd, string path, int flags, uint mask, byte[] buffer);

    public enum EntryKind { File, Directory, Fifo, CharacterDevice, BlockDevice, Socket, Other }

    OpenedEntry(SafeFileHandle? handle, string realPath, EntryKind kind, long size)
    {
        Handle = handle;
        RealPath = realPath;
        Kind = kind;
        Size = size;
    }

    /// <summary>The open descriptor (Linux); null on other systems, where reads go through <see cref="RealPath"/>.</summary>
    public SafeFileHandle? Handle { get; }

    /// <summary>Where the opened entry really is: every link resolved.</summary>
    public string RealPath { get; }

    public EntryKind Kind { get; }

    /// <summary>Bytes, as the file system reports them (0 for many /proc files, which still have content).</summary>
    public long Size { get; }

    /// <summary>A path that reaches exactly this entry while it is open: /proc/self/fd/N on Linux.</summary>
    public string Access => Handle is { } h ? $"/proc/self/fd/{h.DangerousGetHandle()}" : RealPath;

    /// <summary>
    /// Opens <paramref name="accessPath"/> (reported as <paramref name="displayPath"/>), refusing what
    /// lies outside <paramref name="confinement"/> before anything about it is looked at.
    /// </summary>
    public static OpenedEntry Open(string accessPath, string displayPath, FileConfinement confinement) =>
        OperatingSystem.IsLinux() ? OpenOnLinux(accessPath, displayPath, confinement) : OpenByPath(accessPath, displayPath, confinement);

    static OpenedEntry OpenOnLinux(string accessPath, string displayPath, FileConfinement confinement)
    {
        int fd = Open(accessPath, OpenFlags);
        if (fd < 0)
        {
            int errno = Marshal.GetLastPInvokeError();
            throw new InvalidFileException(displayPath, errno switch
            {
                ENOENT or ENOTDIR => "not found",
                EACCES => "permission denied",
                ENXIO => "not a regular file (a socket)",
                ELOOP => "too many symbolic links",
                _ => $"cannot be opened (errno {errno})",
            });
        }
        var handle = new SafeFileHandle(fd, ownsHandle: true);
        try
        {
            string real = new FileInfo($"/proc/self/fd/{fd}").LinkTarget
                ?? throw new InvalidFileException(displayPath, "cannot tell where the opened file lies");
            if (!confinement.Contains(real)) throw new OutsideConfinementException(displayPath);
            var buffer = new byte[StatxBufferBytes];
            if (Statx(fd, "", AtEmptyPath, StatxType | StatxSize, buffer) != 0)
                throw new InvalidFileException(displayPath, $"cannot be examined (errno {Marshal.GetLastPInvokeError()})");
            int mode = BitConverter.ToUInt16(buffer, StatxModeOffset);
            long size = (long)BitConverter.ToUInt64(buffer, StatxSizeOffset);
            return new OpenedEntry(handle, real, KindOf(mode), size);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    static EntryKind KindOf(int mode) => (mode & 0xF000) switch
    {
        0x8000 => EntryKind.File,
        0x4000 => EntryKind.Directory,
        0x1000 => EntryKind.Fifo,
        0x2000 => EntryKind.CharacterDevice,
        0x6000 => EntryKind.BlockDevice,
        0xC000 => EntryKind.Socket,
        _ => EntryKind.Other,
    };

    static OpenedEntry OpenByPath(string accessPath, string displayPath, FileConfinement confinement)
    {
        if (!File.Exists(accessPath) && !Directory.Exists(accessPath)) throw new InvalidFileException(displayPath, "not found");
        string real;
        try { real = IO.RealPath.Of(accessPath); }
        catch (IOException) { throw new InvalidFileException(displayPath, "too many symbolic links"); }
        if (!confinement.Contains(real)) throw new OutsideConfinementException(displayPath);
        if (Directory.Exists(real)) return new OpenedEntry(null, real, EntryKind.Directory, 0);
        return new OpenedEntry(null, real, EntryKind.File, new FileInfo(real).Length);
    }

    /// <summary>"a named pipe", "a directory", … for messages.</summary>
    public static string Describe(EntryKind kind) => kind switch
    {
        EntryKind.File => "a regular file",
        EntryKind.Directory => "a directory",
        EntryKind.Fifo => "a named pipe",
        EntryKind.CharacterDevice => "a character device",
        EntryKind.BlockDevice => "a block device",
        EntryKind.Socket => "a socket",
        _ => "a special file",
    };

    public void Dispose() => Handle?.Dispose();
}
