namespace Adapters.Export;

/// <summary>Where the exporter puts the weights.</summary>
public enum ExternalDataMode
{
    /// <summary>Inline unless they would pass <see cref="Onnx.OnnxModel.MaxInlineWeightBytes"/>.</summary>
    Auto,
    /// <summary>Always in model.onnx.data (tests, or to memory-map weights).</summary>
    Always,
    /// <summary>Always inline; fails for models too large for one protobuf message.</summary>
    Never,
}
