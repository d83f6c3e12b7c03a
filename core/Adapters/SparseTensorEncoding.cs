using Adapters.Core.IO;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;

namespace Adapters.Core.Adapters;

/// <summary>
/// Any adapter tensor T may be stored sparse instead of dense: "T.sparse_indices" (I64 [nnz],
/// flat row-major indices, strictly increasing) and "T.sparse_values" (F32 [nnz]); every other
/// entry is zero. <see cref="AdapterFolder.Read"/> densifies it, so readers see only dense
/// tensors. Writers choose sparse only when it is smaller: 12 bytes per nonzero against 4 bytes
/// per entry, i.e. when fewer than a third of the entries are nonzero.
/// </summary>
public static class SparseTensorEncoding
{
    public const string IndicesSuffix = ".sparse_indices";
    public const string ValuesSuffix = ".sparse_values";

    /// <summary>Bytes per stored nonzero (int64 index + float32 value) and per dense entry.</summary>
    const int SparseBytesPerEntry = 12, DenseBytesPerEntry = 4;

    public static bool IsSmallerSparse(TensorData t) =>
        (long)SparseBytesPerEntry * t.Data.Count(v => v != 0) < (long)DenseBytesPerEntry * t.Data.Length;

    /// <summary>The two safetensors entries that encode <paramref name="t"/>.</summary>
    public static IEnumerable<SafeTensorsFile.WriteEntry> Encode(TensorData t)
    {
        var indices = new List<long>();
        var values = new List<float>();
        for (int x = 0; x < t.Data.Length; x++)
            if (t.Data[x] != 0) { indices.Add(x); values.Add(t.Data[x]); }
        yield return new SafeTensorsFile.WriteEntry(t.Name + IndicesSuffix, [indices.Count], Longs: indices.ToArray(), DType: "I64");
        yield return new SafeTensorsFile.WriteEntry(t.Name + ValuesSuffix, [values.Count], Floats: values.ToArray());
    }

    public static bool IsStoredSparse(SafeTensorsFile file, string name) =>
        file.Contains(name + IndicesSuffix) && file.Contains(name + ValuesSuffix);

    /// <summary>Reads a sparse-encoded tensor back as a dense one of <paramref name="shape"/>, checking the indices.</summary>
    public static TensorData Decode(SafeTensorsFile file, string name, int[] shape)
    {
        long count = TensorData.ElementCount(shape);
        var indices = file.ReadInt64(name + IndicesSuffix);
        var values = file.ReadFloat(name + ValuesSuffix);
        if (file[name + IndicesSuffix].Shape.Length != 1 || values.Shape.Length != 1 || indices.Length != values.Data.Length)
            throw new InvalidFileException(file.Path, $"sparse tensor '{name}' needs 1-D indices and values of one length, got {indices.Length} indices and {values.ShapeText} values");
        var dense = new float[count];
        long previous = -1;
        for (int k = 0; k < indices.Length; k++)
        {
            long x = indices[k];
            if (x <= previous || x >= count)
                throw new InvalidFileException(file.Path, $"sparse tensor '{name}': index {x} at position {k} is out of order or outside [0, {count}) for shape [{string.Join(", ", shape)}]");
            dense[x] = values.Data[k];
            previous = x;
        }
        return new TensorData(name, shape, dense);
    }
}
