using System.Runtime.InteropServices;
using Adapters.Core.Model;

namespace Adapters.Core.Exported;

/// <summary>
/// One float parameter of a parsed .onnx_adapter file, as a view of the file's bytes: its name,
/// shape, and little-endian float32 values (<see cref="OnnxAdapterFile.ParseParameters"/> checked
/// that they hold exactly the shape's element count).
/// </summary>
public sealed record OnnxAdapterParameter(string Name, int[] Dims, ReadOnlyMemory<byte> RawData)
{
    public ReadOnlySpan<float> Values => MemoryMarshal.Cast<byte, float>(RawData.Span);

    /// <summary>A float array copy (the view's bytes may belong to a pooled buffer).</summary>
    public TensorData ToTensor() => new(Name, Dims, Values.ToArray());
}
