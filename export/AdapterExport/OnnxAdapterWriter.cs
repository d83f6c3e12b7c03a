using System.Runtime.InteropServices;
using Adapters.Core.Exported;
using Adapters.Core.IO;
using Adapters.Core.Model;
using Google.FlatBuffers;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// Writes ONNX Runtime's .onnx_adapter FlatBuffer (<see cref="OnnxAdapterFormat"/>): the file
/// <c>OrtLoraAdapter.Create</c> and GenAI's <c>Adapters.LoadAdapter</c> read. Parameters are
/// float tensors named after the graph inputs they replace. Written atomically.
/// </summary>
public static class OnnxAdapterWriter
{
    /// <summary>Initial builder capacity; the builder grows as needed.</summary>
    const int InitialBufferBytes = 1 << 16;

    public static void Write(string path, IReadOnlyList<TensorData> parameters, int adapterVersion = 1, int modelVersion = 1) =>
        AtomicFile.WriteAllBytes(path, ToBytes(parameters, adapterVersion, modelVersion));

    public static byte[] ToBytes(IReadOnlyList<TensorData> parameters, int adapterVersion = 1, int modelVersion = 1)
    {
        var builder = new FlatBufferBuilder(InitialBufferBytes);
        var tables = new int[parameters.Count];
        for (int i = 0; i < parameters.Count; i++) tables[i] = AddParameter(builder, parameters[i]);

        // Vectors are built back to front.
        builder.StartVector(sizeof(int), tables.Length, sizeof(int));
        for (int i = tables.Length - 1; i >= 0; i--) builder.AddOffset(tables[i]);
        var list = builder.EndVector();

        builder.StartTable(OnnxAdapterFormat.AdapterFieldCount);
        builder.AddInt(OnnxAdapterFormat.AdapterFormatVersionSlot, OnnxAdapterFormat.FormatVersion, 0);
        builder.AddInt(OnnxAdapterFormat.AdapterVersionSlot, adapterVersion, 0);
        builder.AddInt(OnnxAdapterFormat.ModelVersionSlot, modelVersion, 0);
        builder.AddOffset(OnnxAdapterFormat.AdapterParametersSlot, list.Value, 0);
        int root = builder.EndTable();
        builder.Finish(root, OnnxAdapterFormat.FileIdentifier);
        return builder.SizedByteArray();
    }

    static int AddParameter(FlatBufferBuilder builder, TensorData t)
    {
        var name = builder.CreateString(t.Name);

        builder.StartVector(sizeof(long), t.Shape.Length, sizeof(long));
        for (int i = t.Shape.Length - 1; i >= 0; i--) builder.AddLong(t.Shape[i]);
        var dims = builder.EndVector();

        byte[] raw = MemoryMarshal.AsBytes(t.Data.AsSpan()).ToArray();
        builder.StartVector(sizeof(byte), raw.Length, OnnxAdapterFormat.RawDataAlignment);
        if (raw.Length > 0) builder.Add(raw); // the builder refuses an empty array
        var data = builder.EndVector();

        builder.StartTable(OnnxAdapterFormat.ParameterFieldCount);
        builder.AddOffset(OnnxAdapterFormat.ParameterNameSlot, name.Value, 0);
        builder.AddOffset(OnnxAdapterFormat.ParameterDimsSlot, dims.Value, 0);
        builder.AddInt(OnnxAdapterFormat.ParameterDataTypeSlot, OnnxAdapterFormat.FloatDataType, 0);
        builder.AddOffset(OnnxAdapterFormat.ParameterRawDataSlot, data.Value, 0);
        return builder.EndTable();
    }
}
