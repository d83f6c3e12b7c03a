using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.TestSupport;
using Adapters.Training.Methods;
using Adapters.Training.Methods.Gmt;
using Adapters.Training.Model;
using Adapters.Training.Tests.Support;
using Adapters.Training.Trainer;
using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Tests;

/// <summary>GMT masks the smallest accumulated gradients before each optimizer step and saves only what changed.</summary>
public class GmtTests : IDisposable
{
    readonly string _folder = SharedModels.NewTempFolder("gmt");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    static GmtMethod NewGmt(double ratio, bool global, LlamaConfig model) =>
        (GmtMethod)AdapterMethodRegistry.Create(AdapterMethods.Gmt, new GmtConfig { MaskRatio = ratio, GlobalMask = global, TargetModules = ["q_proj", "down_proj"] }, model);

    /// <summary>Gives every parameter the gradient G (distinct random values) through a surrogate loss Σ p ⊙ G.</summary>
    static List<float[]> SetRandomGradients(IAdapterMethod method)
    {
        var generator = new Generator(17);
        var grads = method.Parameters.Select(p => randn(p.Parameter.shape, generator: generator)).ToList();
        var loss = method.Parameters.Select((p, i) => (p.Parameter * grads[i]).sum()).Aggregate((a, b) => a + b);
        loss.backward();
        return grads.Select(g => g.data<float>().ToArray()).ToList();
    }

    [Theory]
    [InlineData(1.0)]
    [InlineData(-0.1)]
    [InlineData(double.NaN)]
    public void MaskRatio_OutsideZeroToOne_IsRefusedNamingTheValue(double ratio)
    {
        var e = Assert.Throws<ArgumentException>(() => new GmtConfig { MaskRatio = ratio }.Validate());
        Assert.Contains("[0, 1)", e.Message);
        Assert.Contains($"got {ratio}", e.Message);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.75)]
    public void PerTensorMask_ZeroesExactlyTheSmallestFractionOfEachGradient(double ratio)
    {
        using var gmt = NewGmt(ratio, global: false, TestModels.GqaSeparateClassifier);
        var original = SetRandomGradients(gmt);

        gmt.BeforeOptimizerStep();

        for (int t = 0; t < gmt.Parameters.Count; t++)
        {
            var masked = gmt.Parameters[t].Parameter.grad!.data<float>().ToArray();
            int expectedZeros = (int)Math.Floor(ratio * masked.Length);
            Assert.Equal(expectedZeros, masked.Count(v => v == 0));
            float largestMasked = original[t].Where((_, i) => masked[i] == 0).Max(Math.Abs);
            float smallestKept = original[t].Where((_, i) => masked[i] != 0).Min(Math.Abs);
            Assert.True(largestMasked < smallestKept);
            Assert.All(masked.Select((v, i) => (v, i)).Where(e => e.v != 0), e => Assert.Equal(original[t][e.i], e.v));
        }
    }

    [Fact]
    public void GlobalMask_UsesOneThresholdOverAllTargets()
    {
        using var gmt = NewGmt(0.3, global: true, TestModels.GqaSeparateClassifier);
        var original = SetRandomGradients(gmt).SelectMany(g => g).ToArray();

        gmt.BeforeOptimizerStep();

        var masked = gmt.Parameters.SelectMany(p => p.Parameter.grad!.data<float>().ToArray()).ToArray();
        Assert.Equal((int)Math.Floor(0.3 * masked.Length), masked.Count(v => v == 0));
        Assert.True(original.Where((_, i) => masked[i] == 0).Max(Math.Abs) < original.Where((_, i) => masked[i] != 0).Min(Math.Abs));
    }

    [Fact]
    public void ZeroMaskRatio_LeavesGradientsUnchanged_FullFineTuning()
    {
        using var gmt = NewGmt(0, global: false, TestModels.GqaSeparateClassifier);
        var original = SetRandomGradients(gmt);
        gmt.BeforeOptimizerStep();
        for (int t = 0; t < gmt.Parameters.Count; t++) Assert.Equal(original[t], gmt.Parameters[t].Parameter.grad!.data<float>().ToArray());
        Assert.Equal(0, gmt.LastMaskedFraction);
    }

    [Fact]
    public void OneTrainerStep_ChangesOnlyUnmaskedWeights_AndSavesThemSparse()
    {
        const double Ratio = 0.9;
        var weights = TestModels.Stories260K();
        var tokenizer = TokenizerLoader.Load(SharedModels.Tok512, 512);
        using var model = LlamaModel.FromWeights(weights);
        using var gmt = NewGmt(Ratio, global: false, model.Config);
        var options = new TrainerOptions { Steps = 1, BatchSize = 4, GradAccum = 2, WarmupSteps = 0, LearningRate = 1e-3, Threads = 2, OutputDir = _folder };
        new AdapterTrainer(model, gmt, tokenizer, options, ModelFingerprint.Of(weights)).Train(TaskData.SecretWord().Train);

        // Adam's first step moves exactly the entries with a nonzero (unmasked) gradient.
        long unmasked = gmt.Parameters.Sum(p => p.Parameter.numel() - (long)Math.Floor(Ratio * p.Parameter.numel()));
        Assert.InRange(gmt.ChangedParameterCount(), (long)(0.99 * unmasked), unmasked);
        Assert.InRange(gmt.LastMaskedFraction, Ratio - 0.01, Ratio + 0.01);

        string adapterDir = Path.Combine(_folder, "adapter");
        var file = SafeTensorsFile.Open(Path.Combine(adapterDir, AdapterManifest.DefaultWeightsFile));
        Assert.All(file.Entries, e => Assert.True(e.Name.EndsWith(SparseTensorEncoding.IndicesSuffix) || e.Name.EndsWith(SparseTensorEncoding.ValuesSuffix), e.Name));
        var read = AdapterFolder.Read(adapterDir, model.Config, ModelFingerprint.Of(weights));
        foreach (var (name, p) in gmt.Parameters)
            Assert.Equal(p.data<float>().ToArray(), read.Tensors[name].Data);
    }
}
