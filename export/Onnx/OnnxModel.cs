using Google.Protobuf;
using Onnx;

namespace Adapters.Export.Onnx;

/// <summary>
/// A built ONNX model whose float weights are still referenced arrays. <see cref="Save"/>
/// writes them inline or, for models near protobuf's 2 GiB message limit, into an ONNX
/// external data file beside the model.
/// </summary>
public sealed class OnnxModel
{
    /// <summary>
    /// Above this many weight bytes the weights go to external data: a protobuf message cannot
    /// exceed 2 GiB, and the graph itself needs some room.
    /// </summary>
    public const long MaxInlineWeightBytes = 1_800_000_000;

    /// <summary>Weights smaller than this stay inline even with external data (the onnx package's default threshold).</summary>
    public const int MinExternalTensorBytes = 1024;

    /// <summary>Tensor offsets in the data file are page-aligned so ONNX Runtime can memory-map each one.</summary>
    public const int ExternalDataAlignment = 4096;

    readonly IReadOnlyList<OnnxWeight> _weights;

    internal OnnxModel(ModelProto proto, IReadOnlyList<OnnxWeight> weights)
    {
        Proto = proto;
        _weights = weights;
    }

    /// <summary>The model without weight bytes (they are attached only while saving).</summary>
    public ModelProto Proto { get; }

    public long WeightBytes => _weights.Sum(w => w.ByteCount);

    public bool RequiresExternalData => WeightBytes > MaxInlineWeightBytes;

    /// <summary>
    /// Writes the model to <paramref name="modelPath"/>. With <paramref name="externalDataFileName"/>
    /// every weight of at least <see cref="MinExternalTensorBytes"/> goes to that file in the same
    /// folder (ONNX external data: location, offset, length); without it all weights are inline,
    /// which fails when <see cref="RequiresExternalData"/>.
    /// </summary>
    public void Save(string modelPath, string? externalDataFileName = null)
    {
        if (externalDataFileName is null && RequiresExternalData)
            throw new InvalidOperationException(
                $"{WeightBytes:N0} bytes of weights exceed the {MaxInlineWeightBytes:N0}-byte inline limit of a protobuf model file; save with external data");
        try
        {
            if (externalDataFileName is null) AttachInline(_weights);
            else WriteExternalData(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(modelPath))!, externalDataFileName), externalDataFileName);
            using var file = new FileStream(modelPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
            Proto.WriteTo(file);
        }
        finally
        {
            // Drop the attached bytes so the proto stays small and can be saved again.
            foreach (var w in _weights) Detach(w.Proto);
        }
    }

    static void AttachInline(IEnumerable<OnnxWeight> weights)
    {
        foreach (var w in weights) w.Proto.RawData = ByteString.CopyFrom(w.Bytes);
    }

    void WriteExternalData(string dataPath, string location)
    {
        using var data = new FileStream(dataPath, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        var padding = new byte[ExternalDataAlignment];
        foreach (var w in _weights)
        {
            if (w.ByteCount < MinExternalTensorBytes)
            {
                AttachInline([w]);
                continue;
            }
            long misalignment = data.Position % ExternalDataAlignment;
            if (misalignment != 0) data.Write(padding, 0, (int)(ExternalDataAlignment - misalignment));
            long offset = data.Position;
            data.Write(w.Bytes);
            w.Proto.DataLocation = TensorProto.Types.DataLocation.External;
            w.Proto.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
            w.Proto.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
            w.Proto.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = w.ByteCount.ToString() });
        }
    }

    static void Detach(TensorProto proto)
    {
        proto.RawData = ByteString.Empty;
        proto.ExternalData.Clear();
        proto.DataLocation = TensorProto.Types.DataLocation.Default;
    }
}
