using Adapters.Core.IO;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using Adapters.Core.Model;

namespace Adapters.Core.Exported;

/// <summary>
/// Reads an .onnx_adapter file (<see cref="OnnxAdapterFormat"/>) into float tensors. Every offset
/// is bounds-checked, so a truncated or corrupt file is refused with a message naming it rather
/// than read past its end; only float parameters are accepted (all our adapters are fp32).
/// </summary>
public sealed class OnnxAdapterFile
{
    OnnxAdapterFile(int adapterVersion, int modelVersion, IReadOnlyList<TensorData> parameters)
    {
        AdapterVersion = adapterVersion;
        ModelVersion = modelVersion;
        Parameters = parameters;
    }

    public int AdapterVersion { get; }
    public int ModelVersion { get; }
    public IReadOnlyList<TensorData> Parameters { get; }

    /// <summary>Reads a file the caller named itself (no confinement, no size limit beyond one array).</summary>
    public static OnnxAdapterFile Read(string path)
    {
        if (!File.Exists(path)) throw new InvalidFileException(path, "adapter file not found");
        var file = UntrustedFile.Read(path, long.MaxValue, "one adapter file", FileConfinement.Anywhere);
        return Parse(path, file.Bytes);
    }

    /// <summary>Parses the bytes of <paramref name="path"/>; a corrupt file is an <see cref="InvalidFileException"/> naming it.</summary>
    public static OnnxAdapterFile Parse(string path, byte[] bytes) => Parse(path, bytes.AsMemory());

    /// <summary>Parses the bytes of <paramref name="path"/> (e.g. the start of a pooled buffer); the values are copied out, nothing refers to <paramref name="bytes"/> afterwards.</summary>
    public static OnnxAdapterFile Parse(string path, ReadOnlyMemory<byte> bytes)
    {
        try { return Parse(bytes); }
        catch (InvalidDataException e) { throw new InvalidFileException(path, e.Message); }
    }

    /// <exception cref="InvalidDataException">The bytes are not a well-formed .onnx_adapter file.</exception>
    public static OnnxAdapterFile Parse(byte[] bytes) => Parse(bytes.AsMemory());

    /// <exception cref="InvalidDataException">The bytes are not a well-formed .onnx_adapter file.</exception>
    public static OnnxAdapterFile Parse(ReadOnlyMemory<byte> bytes)
    {
        var (adapterVersion, modelVersion, parameters) = ParseLayout(bytes);
        return new OnnxAdapterFile(adapterVersion, modelVersion, parameters.Select(p => p.ToTensor()).ToList());
    }

    /// <summary>
    /// The parameters of <paramref name="path"/>'s bytes, checked like <see cref="Parse(string, ReadOnlyMemory{byte})"/>,
    /// as views of those bytes: for a caller that copies the values somewhere of its own (no float
    /// array is made); valid only while <paramref name="bytes"/> is.
    /// </summary>
    public static IReadOnlyList<OnnxAdapterParameter> ParseParameters(string path, ReadOnlyMemory<byte> bytes)
    {
        try { return ParseLayout(bytes).Parameters; }
        catch (InvalidDataException e) { throw new InvalidFileException(path, e.Message); }
    }

    static (int AdapterVersion, int ModelVersion, List<OnnxAdapterParameter> Parameters) ParseLayout(ReadOnlyMemory<byte> bytes)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian hosts are not supported");
        var r = new Reader(bytes);
        if (bytes.Length < 8 || Encoding.ASCII.GetString(bytes.Span.Slice(4, 4)) != OnnxAdapterFormat.FileIdentifier)
            throw new InvalidDataException($"not an .onnx_adapter file (no '{OnnxAdapterFormat.FileIdentifier}' identifier)");
        int root = r.Target(0);
        int version = r.Int32Field(root, OnnxAdapterFormat.AdapterFormatVersionSlot);
        if (version != OnnxAdapterFormat.FormatVersion)
            throw new InvalidDataException($"adapter format_version {version} is not supported (expected {OnnxAdapterFormat.FormatVersion})");
        int adapterVersion = r.Int32Field(root, OnnxAdapterFormat.AdapterVersionSlot);
        int modelVersion = r.Int32Field(root, OnnxAdapterFormat.ModelVersionSlot);
        var parameters = new List<OnnxAdapterParameter>();
        if (r.FieldPosition(root, OnnxAdapterFormat.AdapterParametersSlot) is { } listField)
        {
            var (start, count) = r.Vector(r.Target(listField), elementSize: 4);
            for (int i = 0; i < count; i++) parameters.Add(ReadParameter(r, r.Target(start + 4 * i), i));
        }
        var seen = new HashSet<string>(parameters.Count, StringComparer.Ordinal);
        foreach (var p in parameters)
            if (!seen.Add(p.Name))
                throw new InvalidDataException($"parameter '{p.Name}' appears {parameters.Count(q => q.Name == p.Name)} times");
        return (adapterVersion, modelVersion, parameters);
    }

    static OnnxAdapterParameter ReadParameter(Reader r, int table, int index)
    {
        string name = r.FieldPosition(table, OnnxAdapterFormat.ParameterNameSlot) is { } nameField
            ? r.String(r.Target(nameField)) : throw new InvalidDataException($"parameter {index} has no name");
        int type = r.Int32Field(table, OnnxAdapterFormat.ParameterDataTypeSlot);
        if (type != OnnxAdapterFormat.FloatDataType)
            throw new InvalidDataException($"parameter '{name}' has data type {type}; only float ({OnnxAdapterFormat.FloatDataType}) is supported");
        int[] dims = [];
        if (r.FieldPosition(table, OnnxAdapterFormat.ParameterDimsSlot) is { } dimsField)
        {
            var (start, count) = r.Vector(r.Target(dimsField), elementSize: 8);
            dims = new int[count];
            for (int i = 0; i < count; i++)
            {
                long d = r.Int64(start + 8 * i);
                if (d < 0 || d > int.MaxValue) throw new InvalidDataException($"parameter '{name}' has dimension {d}");
                dims[i] = (int)d;
            }
        }
        long elements = 1;
        foreach (int d in dims)
            elements = elements * d is var product && (d == 0 || product / d == elements) && product <= int.MaxValue
                ? product : throw new InvalidDataException($"parameter '{name}' has more elements than one tensor can hold");
        int rawStart = 0, rawLength = 0;
        if (r.FieldPosition(table, OnnxAdapterFormat.ParameterRawDataSlot) is { } rawField)
            (rawStart, rawLength) = r.Vector(r.Target(rawField), elementSize: 1);
        if (rawLength != elements * sizeof(float))
            throw new InvalidDataException($"parameter '{name}' [{string.Join(", ", dims)}]: its raw data does not hold exactly that many float values");
        return new OnnxAdapterParameter(name, dims, r.Bytes.Slice(rawStart, rawLength));
    }

    /// <summary>FlatBuffer access with a bounds check on every read.</summary>
    sealed class Reader(ReadOnlyMemory<byte> bytes)
    {
        public ReadOnlyMemory<byte> Bytes { get; } = bytes;

        void Need(long position, long length)
        {
            if (position < 0 || length < 0 || position + length > Bytes.Length)
                throw new InvalidDataException("truncated or corrupt: a field lies outside the file");
        }

        public int Int32(int position) { Need(position, 4); return BinaryPrimitives.ReadInt32LittleEndian(Bytes.Span[position..]); }
        public long Int64(int position) { Need(position, 8); return BinaryPrimitives.ReadInt64LittleEndian(Bytes.Span[position..]); }
        ushort UInt16(int position) { Need(position, 2); return BinaryPrimitives.ReadUInt16LittleEndian(Bytes.Span[position..]); }

        /// <summary>Follows the unsigned offset stored at <paramref name="position"/>.</summary>
        public int Target(int position)
        {
            long target = (long)position + (uint)Int32(position);
            Need(target, 4);
            return (int)target;
        }

        /// <summary>Where a table's field lives, or null when the field is absent (its default).</summary>
        public int? FieldPosition(int table, int slot)
        {
            long vtable = (long)table - Int32(table);
            Need(vtable, 4);
            int vtableSize = UInt16((int)vtable);
            int entry = 4 + 2 * slot;
            if (entry + 2 > vtableSize) return null;
            int offset = UInt16((int)vtable + entry);
            if (offset == 0) return null;
            Need((long)table + offset, 1);
            return table + offset;
        }

        public int Int32Field(int table, int slot) => FieldPosition(table, slot) is { } p ? Int32(p) : 0;

        /// <summary>A vector's first element and length.</summary>
        public (int Start, int Count) Vector(int position, int elementSize)
        {
            int count = Int32(position);
            if (count < 0) throw new InvalidDataException("corrupt: a vector has a negative length");
            Need(position + 4L, (long)count * elementSize);
            return (position + 4, count);
        }

        public string String(int position)
        {
            var (start, length) = Vector(position, 1);
            return Encoding.UTF8.GetString(Bytes.Span.Slice(start, length));
        }
    }
}
