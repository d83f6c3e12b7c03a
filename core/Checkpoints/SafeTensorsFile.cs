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
/// against the file size when the file is opened, so later reads cannot run past the end.
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

    SafeTensorsFile(string path, Dictionary<string, Entry> entries, Dictionary<string, string> metadata, long dataStart)
    {
        Path = path;
        _entries = entries;
        Metadata = metadata;
        _dataStart = dataStart;
    }

    public string Path { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }
    public IReadOnlyCollection<Entry> Entries => _entries.Values;
    public bool Contains(string name) => _entries.ContainsKey(name);

    public Entry this[string name] => _entries.TryGetValue(name, out var e) ? e
        : throw new InvalidFileException(Path, $"missing tensor '{name}'");

    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new InvalidFileException(path, "file not found");
        using var file = File.OpenRead(path);
        long length = file.Length;
        if (length < 8) throw new InvalidFileException(path, $"file is {length} bytes, too short for a safetensors header");
        Span<byte> lenBytes = stackalloc byte[8];
        file.ReadExactly(lenBytes);
        // Compared unsigned: a length of 2^63 or more must not turn negative and slip past the checks.
        ulong rawHeaderLength = BinaryPrimitives.ReadUInt64LittleEndian(lenBytes);
        if (rawHeaderLength > MaxHeaderBytes || rawHeaderLength > (ulong)(length - 8))
            throw new InvalidFileException(path, $"safetensors header length {rawHeaderLength} does not fit in a {length}-byte file (truncated or not safetensors?)");
        long headerLength = (long)rawHeaderLength;
        var headerBytes = new byte[headerLength];
        file.ReadExactly(headerBytes);
        JsonObject header;
        try { header = JsonNode.Parse(headerBytes)?.AsObject() ?? throw new JsonException("header is null"); }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        { throw new InvalidFileException(path, "safetensors header is not a JSON object: " + e.Message); }

        long dataStart = 8 + headerLength;
        long dataLength = length - dataStart;
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
            {
                if (node is JsonObject meta)
                    foreach (var (k, v) in meta) metadata[k] = v?.ToString() ?? "";
                continue;
            }
            try
            {
                string dtype = node!["dtype"]!.GetValue<string>();
                int[] shape = node["shape"]!.AsArray().Select(d => d!.GetValue<int>()).ToArray();
                var offsets = node["data_offsets"]!.AsArray();
                long begin = offsets[0]!.GetValue<long>(), end = offsets[1]!.GetValue<long>();
                int size = DTypeSize(dtype) ?? throw new InvalidFileException(path, $"tensor '{name}' has unsupported dtype '{dtype}'");
                if (shape.Any(d => d < 0)) throw new InvalidFileException(path, $"tensor '{name}' has a negative dimension in shape [{string.Join(", ", shape)}]");
                if (begin < 0 || end < begin || end > dataLength)
                    throw new InvalidFileException(path, $"tensor '{name}' data_offsets [{begin}, {end}] lie outside the {dataLength}-byte data section (truncated file?)");
                long expectedBytes = TensorData.ElementCount(shape) * size;
                if (end - begin != expectedBytes)
                    throw new InvalidFileException(path, $"tensor '{name}' is {end - begin} bytes but shape [{string.Join(", ", shape)}] of {dtype} needs {expectedBytes}");
                entries[name] = new Entry(name, dtype, shape, begin, end);
            }
            catch (Exception e) when (e is NullReferenceException or InvalidOperationException or FormatException or IndexOutOfRangeException or ArgumentOutOfRangeException)
            {
                throw new InvalidFileException(path, $"tensor '{name}' has a malformed header entry: {e.Message}");
            }
        }
        return new SafeTensorsFile(path, entries, metadata, dataStart);
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
