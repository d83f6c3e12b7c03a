using Adapters.Core.Checkpoints;
using Adapters.Core.Exported;
using Adapters.Core.Model;
using Microsoft.ML.OnnxRuntime;

namespace Adapters.Runtime.Tests;

/// <summary>
/// The build flavour (OnnxRuntimeFlavor, Directory.Build.props) decides which native onnxruntime
/// the process loads; on a machine without a GPU both flavours serve on the CPU provider.
/// </summary>
public sealed class OnnxRuntimeFlavorTests
{
    static readonly LlamaConfig Tiny = new() { Dim = 16, HiddenDim = 32, NumLayers = 1, NumHeads = 2, NumKvHeads = 1, VocabSize = 300, MaxSeqLen = 16 };

    [Fact]
    public void LoadedOnnxRuntime_HasTheCudaProviderExactlyInTheGpuFlavour()
    {
        var providers = OrtEnv.Instance().GetAvailableProviders();

        Assert.Contains("CPUExecutionProvider", providers);
#if ONNXRUNTIME_GPU
        Assert.Contains("CUDAExecutionProvider", providers);
#else
        Assert.DoesNotContain("CUDAExecutionProvider", providers);
#endif
    }

    [Fact]
    public void AutoProvider_RunsOnCudaWhenItLoads_ElseOnCpuSayingWhy()
    {
        using var export = new TempExport(RandomCheckpoint.Create(Tiny));
        var lines = new List<string>();
        var factory = new OnnxSessionFactory(new OnnxRuntimeOptions { IntraOpThreads = 1, Log = lines.Add, Provider = ExecutionProviderPreference.Auto });

        using var model = OnnxDecoderModel.Load(ExportedModel.Open(export.Folder), factory);
        using var session = model.StartSession();
        float[] logits = session.Forward([1, 5]);

        Assert.Equal(2 * Tiny.VocabSize, logits.Length);
        Assert.All(logits, v => Assert.True(float.IsFinite(v)));
        string line = Assert.Single(lines);
        // The GPU build says why CUDA failed to load; the CPU build, that it has no CUDA provider.
        if (factory.Provider == ExecutionProviderKind.Cpu) Assert.Matches("CUDA unavailable: |this ONNX Runtime package is the CPU build", line);
        else Assert.Contains("CUDA execution provider", line);
    }
}
