using Onnx;

namespace Adapters.Export.Onnx;

/// <summary>A float initializer whose bytes are filled in only when the model is saved.</summary>
internal sealed record OnnxWeight(TensorProto Proto, float[] Data)
{
    public long ByteCount => (long)Data.Length * sizeof(float);
}
