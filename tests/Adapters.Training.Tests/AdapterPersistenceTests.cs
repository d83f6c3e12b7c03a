using Adapters.Core.IO;
using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.TestSupport;
using Adapters.Training.Methods;
using Adapters.Training.Methods.Lora;
using Adapters.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Tests;

/// <summary>A zero LoRA is the identity; saved adapters reload to the same logits, and only onto their own base model.</summary>
public class AdapterPersistenceTests : IDisposable
{
    static readonly long[] Tokens = [1, 403, 407, 261, 378, 300, 271, 380];
    const int PromptLength = 5;

    /// <summary>Adding B·A with B = 0 adds exact zeros.</summary>
    const float ZeroAdapterTolerance = 0f;

    readonly string _folder = SharedModels.NewTempFolder("adapter-persistence");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string> Methods => [AdapterMethods.Lora, AdapterMethods.LoReft, AdapterMethods.DiReft];

    static float[] Logits(LlamaModel model, IAdapterMethod? method)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        method?.SetPromptLengths([PromptLength]);
        return model.forward(tensor(Tokens, [1, Tokens.Length])).data<float>().ToArray();
    }

    static IAdapterMethod Randomised(string name, LlamaConfig config)
    {
        var method = Support.TrainedAdapters.NewMethod(name, config);
        var generator = new Generator(9);
        using (no_grad())
            foreach (var (_, p) in method.Parameters) p.add_(randn(p.shape, generator: generator) * 0.05);
        return method;
    }

    [Fact]
    public void ZeroInitialisedLora_LeavesLogitsUnchanged()
    {
        using var model = LlamaModel.FromWeights(TestModels.Stories260K());
        var before = Logits(model, null);
        using var lora = AdapterMethodRegistry.Create(AdapterMethods.Lora, new LoraConfig { Rank = 4, TargetModules = LlamaTensorNames.Projections }, model.Config, seed: 1);
        lora.Attach(model);

        var after = Logits(model, lora);

        Assert.InRange(before.Zip(after, (a, b) => Math.Abs(a - b)).Max(), 0, ZeroAdapterTolerance);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void SavedAdapter_ReloadsToExactlyTheSameLogits(string name)
    {
        var weights = TestModels.Stories260K();
        using var model = LlamaModel.FromWeights(weights);
        using var method = Randomised(name, model.Config);
        method.Attach(model);
        var expected = Logits(model, method);
        AdapterStore.Save(_folder, method, ModelFingerprint.Of(weights));

        using var fresh = LlamaModel.FromWeights(weights);
        using var loaded = AdapterStore.Load(_folder, fresh, ModelFingerprint.Of(weights));
        loaded.Attach(fresh);

        Assert.Equal(name, loaded.Name);
        Assert.Equal(expected, Logits(fresh, loaded));
    }

    [Fact]
    public void LoraInPeftLayout_ReloadsToExactlyTheSameLogits()
    {
        var weights = TestModels.Stories260K();
        using var model = LlamaModel.FromWeights(weights);
        using var method = Randomised(AdapterMethods.Lora, model.Config);
        method.Attach(model);
        var expected = Logits(model, method);
        AdapterStore.SavePeft(_folder, (LoraMethod)method, model.Config);

        using var fresh = LlamaModel.FromWeights(weights);
        using var loaded = AdapterStore.Load(_folder, fresh, ModelFingerprint.Of(weights));
        loaded.Attach(fresh);

        Assert.Equal(AdapterSourceKind.Peft, AdapterSourceReader.Locate(_folder).Kind);
        Assert.Equal(expected, Logits(fresh, loaded));
    }

    [Fact]
    public void LoadingOntoAnotherBaseModel_IsRefused()
    {
        var weights = TestModels.Stories260K();
        using var method = Randomised(AdapterMethods.LoReft, weights.Config);
        AdapterStore.Save(_folder, method, ModelFingerprint.Of(weights));
        var other = RandomCheckpoint.Create(weights.Config, seed: 4);
        using var otherModel = LlamaModel.FromWeights(other);

        var error = Assert.Throws<InvalidFileException>(() => AdapterStore.Load(_folder, otherModel, ModelFingerprint.Of(other)));
        Assert.Contains("trained on base model", error.Message);
    }
}
