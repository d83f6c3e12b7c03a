using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.Runtime;
using Adapters.TestSupport;
using Adapters.Training.Engine;

namespace Adapters.Integration.Tests;

/// <summary>
/// TorchSharp and ONNX Runtime compute the same logits (fp32, max abs difference ≤ 1e-4) for a
/// prefill and 16 decode steps, whichever checkpoint format the weights came from.
/// </summary>
public sealed class EngineAgreementTests : IDisposable
{
    const float Tolerance = 1e-4f;
    const int DecodeSteps = 16;
    static readonly int[] Prompt = [1, 403, 407, 261, 378]; // BOS "Once upon a time" in tok512; any ids < vocab do

    readonly string _dir = SharedModels.NewTempFolder();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static TheoryData<string, string> Sources => new()
    {
        { "stories260K", "llama2c" },
        { "stories260K", "hf" },
        { "15M", "llama2c" },
        { "15M", "hf" },
    };

    [Theory]
    [MemberData(nameof(Sources))]
    public void Torch_and_onnx_runtime_logits_agree(string model, string format)
    {
        string path = WriteCheckpoint(model, format);
        var weights = CheckpointLoader.Load(path);
        string onnx = Path.Combine(_dir, "onnx");
        LlamaOnnxExporter.Export(weights, onnx);

        using var torch = TorchDecoderModel.Load(path);
        using var ort = OnnxDecoderModel.Load(onnx, new OnnxRuntimeOptions { Log = _ => { } });
        using var torchSession = torch.StartSession();
        using var ortSession = ort.StartSession();

        float worst = MaxAbsDiff(torchSession.Forward(Prompt), ortSession.Forward(Prompt));
        int vocab = weights.Config.VocabSize;
        var rng = new Random(7);
        for (int step = 0; step < DecodeSteps; step++)
        {
            int token = rng.Next(3, vocab);
            worst = Math.Max(worst, MaxAbsDiff(torchSession.Forward([token]), ortSession.Forward([token])));
        }
        Assert.True(worst <= Tolerance, $"{model} ({format}): max |torch - onnx| = {worst:E2} > {Tolerance:E0}");
    }

    /// <summary>The real stories260K, or random 15M-shape weights, written in the requested format.</summary>
    string WriteCheckpoint(string model, string format)
    {
        LlamaWeights weights = model == "stories260K"
            ? Llama2cCheckpoint.Read(SharedModels.Stories260K)
            : RandomCheckpoint.Create(ModelShapes.Get(model), seed: 15);
        if (format == "hf")
        {
            string folder = Path.Combine(_dir, "hf");
            HfCheckpoint.Write(weights, folder);
            return folder;
        }
        string file = Path.Combine(_dir, "model.bin");
        Llama2cCheckpoint.Write(weights, file);
        return file;
    }

    static float MaxAbsDiff(float[] a, float[] b)
    {
        Assert.Equal(a.Length, b.Length);
        float worst = 0;
        for (int i = 0; i < a.Length; i++) worst = Math.Max(worst, Math.Abs(a[i] - b[i]));
        return worst;
    }
}
