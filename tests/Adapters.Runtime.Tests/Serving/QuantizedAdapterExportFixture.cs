using Adapters.Export;
using Adapters.Export.Quantization;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>The serving fixture's seven adapters (LoRA, LoReFT, DiReFT) on an int4 base (int8 activations, classifier int8).</summary>
public sealed class QuantizedAdapterExportFixture() : AdapterExportFixture(new LlamaExportOptions
{
    IntraOpThreads = 2,
    Quantization = new QuantizationOptions { Bits = 4, ClassifierBits = 8 },
});
