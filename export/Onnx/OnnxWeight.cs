using System.Runtime.InteropServices;
using Onnx;

namespace Adapters.Export.Onnx;

/// <summary>An initializer (float or uint8 elements) whose bytes are filled in only when the model is saved.</summary>
internal sealed record OnnxWeight(TensorProto Proto, Array Data)
{
    public long ByteCount => Buffer.ByteLength(Data);

    /// <summary>The elements as raw little-endian bytes (ONNX raw_data), without a copy.</summary>
    public ReadOnlySpan<byte> Bytes => MemoryMarshal.CreateReadOnlySpan(ref MemoryMarshal.GetArrayDataReference(Data), checked((int)ByteCount));
}
