using Adapters.Export;
using Adapters.Export.Quantization;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>
/// The serving fixture's seven adapters (LoRA, LoReFT, DiReFT) on an int4 base (classifier int8) with
/// fp32 activations (accuracy level 0): the product is exact on the quantized weights, so a row's
/// logits do not depend on the rest of its batch beyond float rounding, as on the fp32 base.
/// </summary>
public sealed class QuantizedAdapterExportFixture() : AdapterExportFixture(new LlamaExportOptions
{
    IntraOpThreads = 2,
    Quantization = new QuantizationOptions { Bits = 4, ClassifierBits = 8, AccuracyLevel = 0 },
});
