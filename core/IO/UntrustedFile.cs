namespace Adapters.Core.IO;

/// <summary>
/// Reads a file that someone else controls: opened once, only as a regular file (a named pipe,
/// device, socket or directory is refused by its type, never read), inside the
/// <see cref="FileConfinement"/> roots by the real path of the opened handle, and never beyond a
/// size limit the caller sets before reading — checked against the reported size first and against
/// the bytes actually read (a /proc file reports 0). Reads are in chunks and honour cancellation.
/// Refusals are <see cref="InvalidFileException"/>s naming the file; they quote neither its bytes nor its size.
/// </summary>
public static class UntrustedFile
{
    /// <summary>A JSON manifest or config (manifest.json, adapter_config.json, *.adapter.json): far above any real one (tens of KB for a large model).</summary>
    public const long MaxJsonBytes = 4 << 20;

    const int ChunkBytes = 1 << 20;

    /// <param name="limitDescription">What the limit is for, in the refusal ("a JSON manifest", "the tensors its manifest declares").</param>
    public static FileBytes Read(string path, long maxBytes, string limitDescription, FileConfinement confinement, CancellationToken cancel = default) =>
        Read(path, path, maxBytes, limitDescription, confinement, cancel);

    internal static FileBytes Read(string accessPath, string displayPath, long maxBytes, string limitDescription, FileConfinement confinement, CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        maxBytes = Math.Min(maxBytes, Array.MaxLength); // one array holds the content
        using var entry = OpenedEntry.Open(accessPath, displayPath, confinement);
        if (entry.Kind != OpenedEntry.EntryKind.File)
            throw new InvalidFileException(displayPath, $"not a regular file ({OpenedEntry.Describe(entry.Kind)})");
        if (entry.Size > maxBytes) throw TooLarge(displayPath, maxBytes, limitDescription);
        return new FileBytes(displayPath, entry.RealPath, ReadAll(entry, displayPath, maxBytes, limitDescription, cancel));
    }

    static byte[] ReadAll(OpenedEntry entry, string displayPath, long maxBytes, string limitDescription, CancellationToken cancel)
    {
        if (entry.Handle is null)
        {
            byte[] all = File.ReadAllBytes(entry.RealPath);
            return all.LongLength > maxBytes ? throw TooLarge(displayPath, maxBytes, limitDescription) : all;
        }
        // Sized as reported, grown only while the limit allows (the file may grow, or report 0).
        var buffer = new byte[Math.Max(entry.Size, 0)];
        var probe = new byte[1];
        long total = 0;
        while (true)
        {
            cancel.ThrowIfCancellationRequested();
            if (total == buffer.LongLength)
            {
                // Probe one byte past what is held: end of file, or more than reported.
                if (RandomAccess.Read(entry.Handle, probe, total) == 0) return buffer;
                if (total + 1 > maxBytes) throw TooLarge(displayPath, maxBytes, limitDescription);
                Array.Resize(ref buffer, (int)Math.Min(maxBytes, Math.Max(total * 2, total + ChunkBytes)));
                buffer[total++] = probe[0];
                continue;
            }
            int want = (int)Math.Min(ChunkBytes, buffer.LongLength - total);
            int read = RandomAccess.Read(entry.Handle, buffer.AsSpan((int)total, want), total);
            if (read == 0)
            {
                Array.Resize(ref buffer, (int)total); // shrank while reading
                return buffer;
            }
            total += read;
        }
    }

    static InvalidFileException TooLarge(string path, long maxBytes, string limitDescription) =>
        new(path, $"larger than the {maxBytes:N0}-byte limit for {limitDescription}");
}
