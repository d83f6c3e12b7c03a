using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Adapters.Core.IO;

namespace Adapters.Export.Gguf;

/// <summary>
/// Builds a GGUF v3 file (ggml's format for llama.cpp): header "GGUF", version 3, tensor and
/// metadata counts; the metadata key/value pairs; one info record per tensor (name, dims with the
/// fastest-varying first, ggml type, offset); then the tensor data, each tensor aligned to
/// <see cref="Alignment"/> bytes. Little-endian throughout. Only float32 tensors are written:
/// quantized types are llama.cpp's quantizer's job.
/// </summary>
public sealed class GgufWriter
{
    public const uint Magic = 0x46554747; // "GGUF" read as a little-endian uint32
    public const uint Version = 3;
    /// <summary>general.alignment's default; we write the default and do not record the key.</summary>
    public const int Alignment = 32;
    /// <summary>GGML_MAX_NAME: llama.cpp refuses longer tensor names.</summary>
    public const int MaxTensorNameBytes = 63;
    /// <summary>ggml_type GGML_TYPE_F32.</summary>
    const uint F32 = 0;

    readonly List<(string Key, GgufValueType Type, Action<BinaryWriter> Write)> _metadata = [];
    readonly List<(string Name, ulong[] Dims, float[] Data)> _tensors = [];
    readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    readonly HashSet<string> _tensorNames = new(StringComparer.Ordinal);

    public int TensorCount => _tensors.Count;

    public GgufWriter Add(string key, string value) => Add(key, GgufValueType.String, w => WriteString(w, value));
    public GgufWriter Add(string key, uint value) => Add(key, GgufValueType.UInt32, w => w.Write(value));
    public GgufWriter Add(string key, int value) => Add(key, GgufValueType.Int32, w => w.Write(value));
    public GgufWriter Add(string key, float value) => Add(key, GgufValueType.Float32, w => w.Write(value));
    public GgufWriter Add(string key, bool value) => Add(key, GgufValueType.Bool, w => w.Write((byte)(value ? 1 : 0)));

    public GgufWriter Add(string key, IReadOnlyList<string> values) =>
        AddArray(key, GgufValueType.String, values.Count, w => { foreach (var v in values) WriteString(w, v); });
    public GgufWriter Add(string key, IReadOnlyList<float> values) =>
        AddArray(key, GgufValueType.Float32, values.Count, w => { foreach (var v in values) w.Write(v); });
    public GgufWriter Add(string key, IReadOnlyList<int> values) =>
        AddArray(key, GgufValueType.Int32, values.Count, w => { foreach (var v in values) w.Write(v); });

    /// <summary>
    /// Adds a float32 tensor given row-major with <paramref name="rowMajorShape"/> (e.g. a linear
    /// weight [out, in]); GGUF lists dims fastest first, so it is recorded as [in, out].
    /// </summary>
    public GgufWriter AddTensor(string name, IReadOnlyList<int> rowMajorShape, float[] data)
    {
        if (Encoding.UTF8.GetByteCount(name) > MaxTensorNameBytes)
            throw new ArgumentException($"GGUF tensor name '{name}' is longer than {MaxTensorNameBytes} bytes");
        if (!_tensorNames.Add(name)) throw new ArgumentException($"GGUF tensor '{name}' is added twice");
        if (rowMajorShape.Count is < 1 or > 4) throw new ArgumentException($"GGUF tensor '{name}' has {rowMajorShape.Count} dims; ggml holds 1 to 4");
        long count = 1;
        foreach (int d in rowMajorShape)
        {
            if (d <= 0) throw new ArgumentException($"GGUF tensor '{name}' has a non-positive dim in [{string.Join(", ", rowMajorShape)}]");
            count *= d;
        }
        if (count != data.Length) throw new ArgumentException($"GGUF tensor '{name}': shape [{string.Join(", ", rowMajorShape)}] holds {count} values but {data.Length} were given");
        _tensors.Add((name, rowMajorShape.Reverse().Select(d => (ulong)d).ToArray(), data));
        return this;
    }

    /// <summary>Writes the file atomically (a partial file never appears under <paramref name="path"/>).</summary>
    public void Write(string path)
    {
        string? dir = Path.GetDirectoryName(Path.GetFullPath(path));
        if (dir != null) Directory.CreateDirectory(dir);
        AtomicFile.Write(path, stream =>
        {
            using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
            if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("the GGUF writer needs a little-endian machine");
            w.Write(Magic);
            w.Write(Version);
            w.Write((ulong)_tensors.Count);
            w.Write((ulong)_metadata.Count);
            foreach (var (key, type, write) in _metadata)
            {
                WriteString(w, key);
                w.Write((uint)type);
                write(w);
            }
            ulong offset = 0;
            foreach (var (name, dims, data) in _tensors)
            {
                WriteString(w, name);
                w.Write((uint)dims.Length);
                foreach (ulong d in dims) w.Write(d);
                w.Write(F32);
                w.Write(offset);
                offset = Align(offset + (ulong)data.Length * sizeof(float));
            }
            w.Flush();
            Pad(stream);
            long dataStart = stream.Position;
            foreach (var (_, _, data) in _tensors)
            {
                stream.Write(MemoryMarshal.AsBytes(data.AsSpan()));
                Pad(stream, dataStart);
            }
        });
    }

    GgufWriter Add(string key, GgufValueType type, Action<BinaryWriter> write)
    {
        if (string.IsNullOrEmpty(key)) throw new ArgumentException("GGUF metadata key is empty");
        if (!_keys.Add(key)) throw new ArgumentException($"GGUF metadata key '{key}' is added twice");
        _metadata.Add((key, type, write));
        return this;
    }

    GgufWriter AddArray(string key, GgufValueType elementType, int count, Action<BinaryWriter> writeElements) =>
        Add(key, GgufValueType.Array, w =>
        {
            w.Write((uint)elementType);
            w.Write((ulong)count);
            writeElements(w);
        });

    /// <summary>gguf_string: uint64 byte length, then UTF-8 bytes without a terminator.</summary>
    static void WriteString(BinaryWriter w, string value)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(value);
        w.Write((ulong)bytes.Length);
        w.Write(bytes);
    }

    static ulong Align(ulong offset) => (offset + Alignment - 1) / Alignment * Alignment;

    static void Pad(Stream stream, long origin = 0)
    {
        long used = stream.Position - origin;
        long padding = (long)Align((ulong)used) - used;
        if (padding > 0) stream.Write(new byte[padding]);
    }
}
