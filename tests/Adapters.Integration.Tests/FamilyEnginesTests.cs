using System.Globalization;
using Adapters.Core.Checkpoints;
using Adapters.Runtime;
using Adapters.TestSupport;
using Adapters.Training.Engine;
using Xunit.Abstractions;

namespace Adapters.Integration.Tests;

/// <summary>
/// Each family's shrunk configuration with its real tokenizer, through the CLI as a user runs it:
/// init-random writes the HF folder, export writes the ONNX folder, and `generate --engine torch`
/// on the HF folder prints exactly what `generate --engine onnx` prints on the export. The two
/// engines' logits agree within 1e-4 over the prefill and 16 decode steps (each also equals the
/// committed numpy reference: FamilyReferenceTests, FamilyReferenceOnnxTests).
/// </summary>
public sealed class FamilyEnginesTests(ITestOutputHelper output) : IDisposable
{
    const float Tolerance = 1e-4f;
    readonly string _dir = SharedModels.NewTempFolder("family-engines");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static IEnumerable<object[]> Cases => FamilyReferenceCase.Names;

    /// <summary>The case's HF folder and its export, both written by the CLI.</summary>
    (string Hf, string Onnx) WriteWithCli(FamilyReferenceCase c)
    {
        string hf = Path.Combine(_dir, c.Name), onnx = Path.Combine(_dir, c.Name + "-onnx");
        var init = CliRunner.Run("init-random", "--shape", c.ConfigPath, "--format", "hf", "--seed", c.Seed.ToString(CultureInfo.InvariantCulture),
            "--init-std", c.InitStd.ToString(CultureInfo.InvariantCulture), "--norm-std", c.NormStd.ToString(CultureInfo.InvariantCulture), "--dtype", c.DType, "--out", hf);
        Assert.True(init.ExitCode == 0, init.Stderr);
        var export = CliRunner.Run("export", "--model", hf, "--tokenizer", c.TokenizerFolder, "--out", onnx);
        Assert.True(export.ExitCode == 0, export.Stderr);
        return (hf, onnx);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Torch_and_onnx_agree_on_logits_and_print_the_same_greedy_text(string name)
    {
        var c = FamilyReferenceCase.Get(name);
        var (hf, onnx) = WriteWithCli(c);

        // Logits: the prompt as one prefill, then the reference's 16 greedy tokens one at a time.
        var reference = c.Reference;
        using (var torch = TorchDecoderModel.FromWeights(HfCheckpoint.Read(hf)))
        using (var ort = OnnxDecoderModel.Load(onnx, new OnnxRuntimeOptions { IntraOpThreads = 2, Log = _ => { } }))
        using (var a = torch.StartSession())
        using (var b = ort.StartSession())
        {
            float worst = MaxAbsDiff(a.Forward(reference.PromptIds), b.Forward(reference.PromptIds));
            foreach (int token in reference.GreedyIds.Take(reference.Steps))
                worst = Math.Max(worst, MaxAbsDiff(a.Forward([token]), b.Forward([token])));
            output.WriteLine($"{name}: max |torch - onnx| = {worst:E2}");
            Assert.True(worst <= Tolerance, $"{name}: max |torch - onnx| = {worst:E2} > {Tolerance:E0}");
        }

        // Text: what a user sees from each engine.
        string[] common = ["--prompt", FamilyReferenceCase.PromptText, "--max-new-tokens", "16", "--temperature", "0", "--threads", "2"];
        var torchText = CliRunner.Run(["generate", "--model", hf, "--tokenizer", c.TokenizerFolder, "--engine", "torch", .. common]);
        var onnxText = CliRunner.Run(["generate", "--model", onnx, "--engine", "onnx", .. common]);
        Assert.True(torchText.ExitCode == 0, torchText.Stderr);
        Assert.True(onnxText.ExitCode == 0, onnxText.Stderr);
        output.WriteLine($"{name}: {torchText.Stdout.TrimEnd()}");
        Assert.StartsWith(FamilyReferenceCase.PromptText, torchText.Stdout);
        Assert.True(torchText.Stdout.TrimEnd('\n').Length > FamilyReferenceCase.PromptText.Length, $"{name}: nothing generated");
        Assert.Equal(torchText.Stdout, onnxText.Stdout);
    }

    static float MaxAbsDiff(float[] x, float[] y)
    {
        Assert.Equal(x.Length, y.Length);
        float worst = 0;
        for (int i = 0; i < x.Length; i++) worst = Math.Max(worst, Math.Abs(x[i] - y[i]));
        return worst;
    }
}
