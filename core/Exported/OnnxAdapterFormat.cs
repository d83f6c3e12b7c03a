namespace Adapters.Core.Exported;

/// <summary>
/// ONNX Runtime's .onnx_adapter layout (onnxruntime/lora/adapter_format/adapter_schema.fbs): a
/// FlatBuffer with file identifier "TORT" whose root table Adapter holds format_version,
/// adapter_version, model_version and a vector of Parameter tables (name, dims [int64],
/// data_type, raw_data [uint8] aligned to 8). The writer (export) and the reader (core) share
/// these numbers.
/// </summary>
public static class OnnxAdapterFormat
{
    /// <summary>The only version ONNX Runtime 1.2x–1.3x accepts (kAdapterFormatVersion).</summary>
    public const int FormatVersion = 1;

    public const string FileIdentifier = "TORT";

    /// <summary>TensorDataType.FLOAT (the ONNX TensorProto numbering).</summary>
    public const int FloatDataType = 1;

    /// <summary>raw_data is declared force_align: 8.</summary>
    public const int RawDataAlignment = 8;

    // Field slots in declaration order.
    public const int AdapterFormatVersionSlot = 0, AdapterVersionSlot = 1, ModelVersionSlot = 2, AdapterParametersSlot = 3, AdapterFieldCount = 4;
    public const int ParameterNameSlot = 0, ParameterDimsSlot = 1, ParameterDataTypeSlot = 2, ParameterRawDataSlot = 3, ParameterFieldCount = 4;
}
