using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Adapters.Core.IO;
using Adapters.Core.Model;

namespace Adapters.Core.Checkpoints;

/// <summary>
/// Reads a .safetensors file: an 8-byte little-endian header length N, N bytes of JSON
/// ({name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}),
/// then the tensor bytes, offsets relative to the end of the header. Every entry is checked
/// against the file size when the file is opened, so later reads cannot run past the end, and the
/// entries must tile the data exactly. Refusals never quote the file's bytes or its size.
/// </summary>
public sealed class SafeTensorsFile
{
    /// <summary>Headers larger than this are refused as corrupt (the format's reference limit is 100 MB).</summary>
    const long MaxHeaderBytes = 100_000_000;

    public sealed record Entry(string Name, string DType, int[] Shape, long Begin, long End)
    {
        public long ElementCount => TensorData.ElementCount(Shape);
    }

    readonly Dictionary<string, Entry> _entries;
    readonly long _dataStart;
    readonly byte[]? _bytes; // the whole file, when it was read once into memory (Parse)

    SafeTensorsFile(string path, Dictionary<string, Entry> entries, Dictionary<string, string> metadata, long dataStart, byte[]? bytes)
    {
        Path = path;
        _entries = entries;
        Metadata = metadata;
        _dataStart = dataStart;
        _bytes = bytes;
    }

    public string Path { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IReadOnlyCollection<Entry> Entries => _entries.Values;
    public bool Contains(string name) => _entries.ContainsKey(name);

    public Entry this[string name] => _entries.TryGetValue(name, out var e) ? e
        : throw new InvalidFileException(Path, $"missing tensor '{name}'");

    /// <summary>Opens a file on disk (a checkpoint the user named); tensors are read from it on demand.</summary>
    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new InvalidFileException(path, "file not found");
        using var file = File.OpenRead(path);
        long length = file.Length;
        if (length < 8) throw new InvalidFileException(path, "too short for a safetensors header (truncated or not safetensors?)");
        Span<byte> lenBytes = stackalloc byte[8];
        file.ReadExactly(lenBytes);
        long headerLength = HeaderLength(path, lenBytes, length, quote: true);
        var headerBytes = new byte[headerLength];
        file.ReadExactly(headerBytes);
        return Build(path, headerBytes, length, bytes: null);
    }

    /// <summary>
    /// Parses a file already read whole (<see cref="UntrustedFile"/>: opened once, size-limited);
    /// tensors are then read from <paramref name="bytes"/>, never from the path again.
    /// </summary>
    public static SafeTensorsFile Parse(string path, byte[] bytes)
    {
        if (bytes.Length < 8) throw new InvalidFileException(path, "too short for a safetensors header (truncated or not safetensors?)");
        long headerLength = HeaderLength(path, bytes.AsSpan(0, 8), bytes.Length, quote: false);
        return Build(path, bytes.AsSpan(8, (int)headerLength), bytes.Length, bytes);
    }

    /// <summary>
    /// The header length N of the first 8 bytes, checked against the file. Quoted (with the file's
    /// size) only for a file the user named (<see cref="Open"/>): for an untrusted one those are its
    /// first bytes and its size, which the caller may have no right to learn.
    /// </summary>
    static long HeaderLength(string path, ReadOnlySpan<byte> first8, long length, bool quote)
    {
        // Compared unsigned: a length of 2^63 or more must not turn negative and slip past the checks.
        ulong raw = BinaryPrimitives.ReadUInt64LittleEndian(first8);
        if (raw > MaxHeaderBytes || raw > (ulong)(length - 8))
            throw new InvalidFileException(path, quote
                ? $"safetensors header length {raw} does not fit in a {length}-byte file (truncated or not safetensors?)"
                : "the safetensors header length does not fit in the file (truncated or not safetensors?)");
        return (long)raw;
    }

    static SafeTensorsFile Build(string path, ReadOnlySpan<byte> headerBytes, long length, byte[]? bytes)
    {
        JsonObject header;
        if (!System.Text.Unicode.Utf8.IsValid(headerBytes)) throw new InvalidFileException(path, "the safetensors header is not valid UTF-8");
        try
        {
            header = JsonNode.Parse(headerBytes)?.AsObject() ?? throw new InvalidFileException(path, "the safetensors header is JSON null, not an object");
            _ = header.Count; // materialises the entries: a name given twice throws here
            foreach (var (name, _) in header) _ = name.Length; // names with unpaired surrogate escapes throw here
        }
        catch (JsonException e) { throw new InvalidFileException(path, "the safetensors header is not JSON: " + JsonProblem.Describe(e)); }
        catch (InvalidOperationException) { throw new InvalidFileException(path, "the safetensors header is not a JSON object of valid text"); }
        catch (ArgumentException) { throw new InvalidFileException(path, "the safetensors header names an entry twice"); }

        long dataStart = 8 + headerBytes.Length;
        long dataLength = length - dataStart;
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                try
                {
                    if (node is JsonObject meta)
                        foreach (var (k, v) in meta) metadata[k] = v?.ToString() ?? "";
                }
                catch (Exception e) when (e is InvalidOperationException or ArgumentException)
                { throw new InvalidFileException(path, "the safetensors __metadata__ is not a map of text to text"); }
                continue;
            }
            try
            {
                string dtype = node!["dtype"]!.GetValue<string>();
                int[] shape = node["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
                var offsets = node["data_offsets"]!.AsArray();
                if (offsets.Count != 2) throw new InvalidFileException(path, $"tensor '{name}' needs data_offsets [begin, end]");
                long begin = offsets[0]!.GetValue<long>(), end = offsets[1]!.GetValue<long>();
                int size = DTypeSize(dtype) ?? throw new InvalidFileException(path, $"tensor '{name}' has unsupported dtype '{dtype}'");
                if (shape.Any(d => d < 0)) throw new InvalidFileException(path, $"tensor '{name}' has a negative dimension in shape [{string.Join(", ", shape)}]");
                if (begin < 0 || end < begin || end > dataLength)
                    throw new InvalidFileException(path, $"tensor '{name}' data_offsets lie outside the data section (truncated file?)");
                long expectedBytes = CheckedBytes(shape, size);
                if (end - begin != expectedBytes)
                    throw new InvalidFileException(path, $"tensor '{name}' data_offsets span a different number of bytes than shape [{string.Join(", ", shape)}] of {dtype} needs");
                entries[name] = new Entry(name, dtype, shape, begin, end);
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or IndexOutOfRangeException
                or ArgumentException or OverflowException)
            {
                throw new InvalidFileException(path, $"tensor '{name}' has a malformed header entry");
            }
        }
        CheckTiling(path, entries.Values, dataLength);
        return new SafeTensorsFile(path, entries, metadata, dataStart, bytes);
    }

    /// <summary>Bytes of a tensor of <paramref name="shape"/>; a product that overflows is a malformed entry.</summary>
    static long CheckedBytes(int[] shape, int elementSize)
    {
        long bytes = elementSize;
        foreach (int d in shape) bytes = checked(bytes * d);
        return bytes;
    }

    /// <summary>
    /// As the format's reference reader requires: the tensors, in offset order, cover the data
    /// section exactly — starting at 0, each where the previous ends, the last at the end of the
    /// file. Overlapping tensors (two names for the same bytes) and stray bytes are refused.
    /// </summary>
    static void CheckTiling(string path, IEnumerable<Entry> entries, long dataLength)
    {
        long next = 0;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < next) throw new InvalidFileException(path, $"tensor '{e.Name}' overlaps the bytes of another tensor");
            if (e.Begin > next) throw new InvalidFileException(path, $"bytes before tensor '{e.Name}' belong to no tensor");
            next = e.End;
        }
        if (next != dataLength) throw new InvalidFileException(path, "bytes after the last tensor belong to no tensor");
    }

    /// <summary>Reads a tensor as float32, converting F16/BF16/F64; optionally checking its shape.</summary>
    public TensorData ReadFloat(string name, int[]? expectedShape = null, string? asName = null)
    {
        var e = this[name];
        if (expectedShape != null && !e.Shape.AsSpan().SequenceEqual(expectedShape))
            throw new InvalidFileException(Path, $"tensor '{name}' has shape [{string.Join(", ", e.Shape)}], expected [{string.Join(", ", expectedShape)}]");
        byte[] raw = ReadRaw(e);
        var data = new float[e.ElementCount];
        switch (e.DType)
        {
            case "F32": MemoryMarshal.Cast<byte, float>(raw).CopyTo(data); break;
            case "F16":
                var halves = MemoryMarshal.Cast<byte, Half>(raw);
                for (int i = 0; i < data.Length; i++) data[i] = (float)halves[i];
                break;
            case "BF16":
                var bf = MemoryMarshal.Cast<byte, ushort>(raw);
                for (int i = 0; i < data.Length; i++) data[i] = BitConverter.Int32BitsToSingle(bf[i] << 16);
                break;
            case "F64":
                var doubles = MemoryMarshal.Cast<byte, double>(raw);
                for (int i = 0; i < data.Length; i++) data[i] = (float)doubles[i];
                break;
            default: throw new InvalidFileException(Path, $"tensor '{name}' has dtype {e.DType}, expected a floating-point type");
        }
        return new TensorData(asName ?? name, e.Shape, data);
    }

    /// <summary>Reads an integer tensor (I32 or I64) as int64, e.g. sparse-delta indices.</summary>
    public long[] ReadInt64(string name)
    {
        var e = this[name];
        byte[] raw = ReadRaw(e);
        return e.DType switch
        {
            "I64" => MemoryMarshal.Cast<byte, long>(raw).ToArray(),
            "I32" => MemoryMarshal.Cast<byte, int>(raw).ToArray().Select(v => (long)v).ToArray(),
            _ => throw new InvalidFileException(Path, $"tensor '{name}' has dtype {e.DType}, expected I32 or I64"),
        };
    }

    byte[] ReadRaw(Entry e)
    {
        if (_bytes is not null) return _bytes.AsSpan((int)(_dataStart + e.Begin), (int)(e.End - e.Begin)).ToArray();
        using var file = File.OpenRead(Path);
        if (file.Length < _dataStart + e.End)
            throw new InvalidFileException(Path, $"file shrank while reading tensor '{e.Name}'");
        file.Seek(_dataStart + e.Begin, SeekOrigin.Begin);
        var raw = new byte[e.End - e.Begin];
        file.ReadExactly(raw);
        return raw;
    }

    public static int? DTypeSize(string dtype) => dtype switch
    {
        "F64" or "I64" or "U64" => 8,
        "F32" or "I32" or "U32" => 4,
        "F16" or "BF16" or "I16" or "U16" => 2,
        "I8" or "U8" or "BOOL" => 1,
        _ => null,
    };

    /// <summary>A tensor to write: float32 data, or int64 data for index tensors.</summary>
    public sealed record WriteEntry(string Name, int[] Shape, float[]? Floats = null, long[]? Longs = null, string DType = "F32");

    /// <summary>Writes tensors (names sorted, header padded to 8 bytes) atomically.</summary>
    public static void Write(string path, IEnumerable<WriteEntry> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var header = new JsonObject();
        if (metadata is { Count: > 0 })
        {
            var meta = new JsonObject();
            foreach (var (k, v) in metadata) meta[k] = v;
            header["__metadata__"] = meta;
        }
        long offset = 0;
        var payloads = new List<byte[]>();
        foreach (var t in list)
        {
            byte[] bytes = EncodePayload(t);
            if (bytes.Length != TensorData.ElementCount(t.Shape) * DTypeSize(t.DType)!.Value)
                throw new ArgumentException($"tensor '{t.Name}': {bytes.Length} bytes do not match shape [{string.Join(", ", t.Shape)}] of {t.DType}");
            header[t.Name] = new JsonObject
            {
                ["dtype"] = t.DType,
                ["shape"] = new JsonArray(t.Shape.Select(d => (JsonNode)d).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes.Length),
            };
            offset += bytes.Length;
            payloads.Add(bytes);
        }
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        AtomicFile.Write(path, stream =>
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(len, (ulong)padded);
            stream.Write(len);
            stream.Write(json);
            for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var p in payloads) stream.Write(p);
        });
    }

    public static WriteEntry Float(TensorData t) => new(t.Name, t.Shape, Floats: t.Data);

    static byte[] EncodePayload(WriteEntry t) => t.DType switch
    {
        "F32" => MemoryMarshal.AsBytes((t.Floats ?? throw new ArgumentException($"tensor '{t.Name}' has no float data")).AsSpan()).ToArray(),
        "F16" => MemoryMarshal.AsBytes(t.Floats!.Select(v => (Half)v).ToArray().AsSpan()).ToArray(),
        "BF16" => MemoryMarshal.AsBytes(t.Floats!.Select(ToBFloat16).ToArray().AsSpan()).ToArray(),
        "I64" => MemoryMarshal.AsBytes((t.Longs ?? throw new ArgumentException($"tensor '{t.Name}' has no integer data")).AsSpan()).ToArray(),
        _ => throw new ArgumentException($"tensor '{t.Name}': writing dtype {t.DType} is not supported"),
    };

    /// <summary>Round-to-nearest-even float32 → bfloat16 bits.</summary>
    static ushort ToBFloat16(float v)
    {
        uint bits = BitConverter.SingleToUInt32Bits(v);
        if (float.IsNaN(v)) return (ushort)((bits >> 16) | 0x40);
        uint rounding = 0x7FFF + ((bits >> 16) & 1);
        return (ushort)((bits + rounding) >> 16);
    }
}
