using Adapters.Export;
using Adapters.Export.Quantization;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>
/// The serving fixture's seven adapters on an int4 base at the default accuracy level 4: MatMulNBits
/// rounds the activations to int8 per block, so a float-rounding difference before a projection can
/// move its output by a whole int8 step.
/// </summary>
public sealed class Int8ActivationAdapterExportFixture() : AdapterExportFixture(new LlamaExportOptions
{
    IntraOpThreads = 2,
    Quantization = new QuantizationOptions { Bits = 4, ClassifierBits = 8 },
});
