using System.Buffers;

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
        var (entry, limit) = OpenFile(accessPath, displayPath, maxBytes, limitDescription, confinement, cancel);
        using (entry)
        {
            var (buffer, length) = ReadAll(entry, displayPath, limit, limitDescription, pooled: false, cancel);
            if (length != buffer.Length) Array.Resize(ref buffer, length); // shrank while reading
            return new FileBytes(displayPath, entry.RealPath, buffer);
        }
    }

    /// <summary>
    /// Reads like <see cref="Read(string, long, string, FileConfinement, CancellationToken)"/>, into a
    /// buffer rented from the shared array pool: for bytes that are checked and dropped (dispose the
    /// result to return the buffer), so a large file costs no new array.
    /// </summary>
    public static PooledFileBytes ReadPooled(string path, long maxBytes, string limitDescription, FileConfinement confinement, CancellationToken cancel = default) =>
        ReadPooled(path, path, maxBytes, limitDescription, confinement, cancel);

    internal static PooledFileBytes ReadPooled(string accessPath, string displayPath, long maxBytes, string limitDescription, FileConfinement confinement, CancellationToken cancel)
    {
        var (entry, limit) = OpenFile(accessPath, displayPath, maxBytes, limitDescription, confinement, cancel);
        using (entry)
        {
            var (buffer, length) = ReadAll(entry, displayPath, limit, limitDescription, pooled: entry.Handle is not null, cancel);
            return new PooledFileBytes(displayPath, entry.RealPath, buffer, length, rented: entry.Handle is not null);
        }
    }

    static (OpenedEntry Entry, long Limit) OpenFile(string accessPath, string displayPath, long maxBytes, string limitDescription, FileConfinement confinement, CancellationToken cancel)
    {
        cancel.ThrowIfCancellationRequested();
        maxBytes = Math.Min(maxBytes, Array.MaxLength); // one array holds the content
        var entry = OpenedEntry.Open(accessPath, displayPath, confinement);
        try
        {
            if (entry.Kind != OpenedEntry.EntryKind.File)
                throw new InvalidFileException(displayPath, $"not a regular file ({OpenedEntry.Describe(entry.Kind)})");
            if (entry.Size > maxBytes) throw TooLarge(displayPath, maxBytes, limitDescription);
            return (entry, maxBytes);
        }
        catch
        {
            entry.Dispose();
            throw;
        }
    }

    /// <summary>The content and its length; a pooled buffer may be longer than the content, and goes back to the pool when this throws.</summary>
    static (byte[] Buffer, int Length) ReadAll(OpenedEntry entry, string displayPath, long maxBytes, string limitDescription, bool pooled, CancellationToken cancel)
    {
        if (entry.Handle is null)
        {
            byte[] all = File.ReadAllBytes(entry.RealPath);
            return all.LongLength > maxBytes ? throw TooLarge(displayPath, maxBytes, limitDescription) : (all, all.Length);
        }
        // Sized as reported, grown only while the limit allows (the file may grow, or report 0).
        long capacity = Math.Max(entry.Size, 0);
        var buffer = Allocate(capacity, pooled);
        try
        {
            Span<byte> probe = stackalloc byte[1];
            long total = 0;
            while (true)
            {
                cancel.ThrowIfCancellationRequested();
                if (total == capacity)
                {
                    // Probe one byte past what is held: end of file, or more than reported.
                    if (RandomAccess.Read(entry.Handle, probe, total) == 0) return (buffer, (int)total);
                    if (total + 1 > maxBytes) throw TooLarge(displayPath, maxBytes, limitDescription);
                    capacity = Math.Min(maxBytes, Math.Max(total * 2, total + ChunkBytes));
                    var grown = Allocate(capacity, pooled);
                    buffer.AsSpan(0, (int)total).CopyTo(grown);
                    Free(buffer, pooled);
                    buffer = grown;
                    buffer[total++] = probe[0];
                    continue;
                }
                int want = (int)Math.Min(ChunkBytes, capacity - total);
                int read = RandomAccess.Read(entry.Handle, buffer.AsSpan((int)total, want), total);
                if (read == 0) return (buffer, (int)total); // shrank while reading
                total += read;
            }
        }
        catch
        {
            Free(buffer, pooled);
            throw;
        }
    }

    static byte[] Allocate(long length, bool pooled) => pooled ? ArrayPool<byte>.Shared.Rent((int)length) : new byte[length];

    static void Free(byte[] buffer, bool pooled)
    {
        if (pooled) ArrayPool<byte>.Shared.Return(buffer);
    }

    static InvalidFileException TooLarge(string path, long maxBytes, string limitDescription) =>
        new(path, $"larger than the {maxBytes:N0}-byte limit for {limitDescription}");
}
