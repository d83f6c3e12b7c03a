using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.Export.Onnx;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>
/// The serving fixture's seven adapters (LoRA, LoReFT, DiReFT) on a GroupQueryAttention export
/// (in-place KV cache) with the residual adds folded into the norms where no ReFT edit sits between. ONNX Runtime's op wants head_size a multiple of 16 (stories260K has 8), so
/// the base is random weights of stories260K's vocabulary and width with 4 heads of 16.
/// </summary>
public sealed class GqaAdapterExportFixture() : AdapterExportFixture(RandomCheckpoint.Create(Shape, seed: 11), new LlamaExportOptions
{
    IntraOpThreads = 2,
    Fusions = new DecoderFusions { GroupQueryAttention = true, SkipNorm = true },
})
{
    static readonly LlamaConfig Shape = new()
    {
        Dim = 64, HiddenDim = 172, NumLayers = 5, NumHeads = 4, NumKvHeads = 2, VocabSize = 512, MaxSeqLen = 512,
    };
}
