namespace Adapters.Core.IO;

/// <summary>Writes files through a temporary sibling and a rename, so a reader never sees half a file.</summary>
public static class AtomicFile
{
    public static void Write(string path, Action<Stream> write)
    {
        string full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        string tmp = full + $".tmp-{Environment.ProcessId}-{Guid.NewGuid():N}";
        try
        {
            using (var stream = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(tmp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }

    public static void WriteAllText(string path, string text) =>
        Write(path, s => { using var w = new StreamWriter(s, leaveOpen: true); w.Write(text); });

    public static void WriteAllBytes(string path, ReadOnlySpan<byte> bytes)
    {
        byte[] copy = bytes.ToArray();
        Write(path, s => s.Write(copy));
    }

    /// <summary>
    /// Builds a folder in a temporary sibling and renames it into place; an existing folder at
    /// <paramref name="path"/> is replaced only after the new one is complete. A directory cannot
    /// be swapped in one rename, so the old one is first renamed aside (<c>.old-*</c>): a kill
    /// between the two renames leaves no folder at <paramref name="path"/> but a complete old one
    /// beside it, which <see cref="RecoverDirectory"/> (called here first, and by readers) puts back.
    /// </summary>
    public static void WriteDirectory(string path, Action<string> build)
    {
        string full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        RecoverDirectory(full);
        string tmp = full + TempMarker + $"{Environment.ProcessId}-{Guid.NewGuid():N}";
        string old = full + OldMarker + $"{Environment.ProcessId}-{Guid.NewGuid():N}";
        Directory.CreateDirectory(tmp);
        try
        {
            build(tmp);
            if (Directory.Exists(full)) Directory.Move(full, old);
            Directory.Move(tmp, full);
            if (Directory.Exists(old)) Directory.Delete(old, recursive: true);
        }
        finally
        {
            if (Directory.Exists(tmp)) Directory.Delete(tmp, recursive: true);
        }
    }

    const string TempMarker = ".tmp-", OldMarker = ".old-";

    /// <summary>
    /// Repairs what a kill during <see cref="WriteDirectory"/> left: when <paramref name="path"/>
    /// is missing but a complete previous version was renamed aside, that version is put back;
    /// leftover temporary (possibly half-built) and aside folders are removed. Returns true when
    /// a previous version was restored.
    /// </summary>
    public static bool RecoverDirectory(string path)
    {
        string full = Path.GetFullPath(path).TrimEnd(Path.DirectorySeparatorChar);
        string? parent = Path.GetDirectoryName(full);
        if (parent is null || !Directory.Exists(parent)) return false;
        string name = Path.GetFileName(full);
        bool restored = false;
        var aside = Directory.GetDirectories(parent, name + OldMarker + "*").OrderByDescending(Directory.GetLastWriteTimeUtc).ToList();
        if (!Directory.Exists(full) && aside.Count > 0)
        {
            Directory.Move(aside[0], full);
            aside.RemoveAt(0);
            restored = true;
        }
        foreach (string stale in aside.Concat(Directory.GetDirectories(parent, name + TempMarker + "*")))
        {
            try { Directory.Delete(stale, recursive: true); }
            catch (IOException) { } // another writer's folder in use: its own finally removes it
        }
        return restored;
    }
}
