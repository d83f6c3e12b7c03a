using System.Buffers;

namespace Adapters.Core.IO;

/// <summary>
/// The whole content of one file read once by <see cref="UntrustedFile.ReadPooled"/>, held in a
/// buffer rented from <see cref="ArrayPool{T}.Shared"/>: for bytes that are parsed or hashed and
/// then dropped, so reading them allocates nothing (a file of 85 KB or more would otherwise be a
/// new large-object-heap array each time). <see cref="Dispose"/> returns the buffer; the bytes
/// must not be used after that.
/// </summary>
public sealed class PooledFileBytes : IDisposable
{
    byte[]? _buffer;
    readonly bool _rented;

    internal PooledFileBytes(string path, string realPath, byte[] buffer, int length, bool rented)
    {
        Path = path;
        RealPath = realPath;
        _buffer = buffer;
        Length = length;
        _rented = rented;
    }

    /// <summary>The file as it was named (for messages).</summary>
    public string Path { get; }

    /// <summary>Where it really was.</summary>
    public string RealPath { get; }

    public int Length { get; }

    /// <summary>The file's bytes (the start of the rented buffer).</summary>
    public ArraySegment<byte> Bytes => new(_buffer ?? throw new ObjectDisposedException(nameof(PooledFileBytes)), 0, Length);

    public void Dispose()
    {
        var buffer = Interlocked.Exchange(ref _buffer, null);
        if (buffer is not null && _rented) ArrayPool<byte>.Shared.Return(buffer);
    }
}
