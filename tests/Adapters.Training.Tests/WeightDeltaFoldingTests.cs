using System.Text.Json.Nodes;
using Adapters.Core.Adapters;
using Adapters.Core.Adapters.WeightDeltas;
using Adapters.Core.Model;
using Adapters.TestSupport;
using Adapters.Training.Methods;
using Adapters.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Tests;

/// <summary>
/// The export contract of weight-delta methods: an adapter saved by training, read back by core
/// and folded with core's pure-C# materialisation (W + ΔW) gives the same logits as the
/// TorchSharp adapter attached to the base model.
/// </summary>
public class WeightDeltaFoldingTests : IDisposable
{
    /// <summary>float32 logits of a tiny random model (|logit| ≲ 10) after a reordered sum: ~1e-5.</summary>
    const double LogitTolerance = 2e-4;
    const double Perturbation = 0.05;

    static readonly long[] Tokens = [1, 5, 17, 42, 96, 3, 8, 60];
    readonly string _folder = SharedModels.NewTempFolder("weight-delta-fold");

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public static TheoryData<string, string> Cases => new()
    {
        { AdapterMethods.Lora, """{"rank": 2, "alpha": 4, "target_modules": ["q_proj", "down_proj"]}""" },
        { AdapterMethods.Circulant, """{"target_modules": ["q_proj", "o_proj"]}""" },
        { AdapterMethods.Toeplitz, """{"target_modules": ["k_proj", "down_proj"], "layers": [1]}""" },
        { AdapterMethods.Kronecker, """{"target_modules": ["v_proj", "gate_proj"]}""" },
        { AdapterMethods.Ldr, """{"target_modules": ["o_proj"], "rank": 3}""" },
        { AdapterMethods.Gmt, """{"target_modules": ["q_proj", "up_proj"], "mask_ratio": 0.5}""" },
        { AdapterMethods.TarpStatic, """{"rank": 2, "target_modules": ["q_proj", "k_proj", "down_proj"]}""" },
    };

    static float[] Logits(LlamaModel model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return model.forward(tensor(Tokens, [1, Tokens.Length])).data<float>().ToArray();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SavedAdapter_FoldedByCore_GivesTheAdapterLogits(string name, string hyperparameters)
    {
        var config = TestModels.GqaSeparateClassifier;
        var weights = TestModels.Random(config);
        using var model = LlamaModel.FromWeights(weights);
        using var method = AdapterMethodRegistry.Create(name, JsonNode.Parse(hyperparameters)!.AsObject(), config, seed: 4);
        var generator = new Generator(8);
        using (no_grad())
            foreach (var (_, p) in method.Parameters) p.add_(randn(p.shape, generator: generator) * Perturbation);
        method.Attach(model);
        var adapted = Logits(model);
        AdapterStore.Save(_folder, method, ModelFingerprint.Of(weights));

        var adapter = AdapterFolder.Read(_folder, config, ModelFingerprint.Of(weights));
        var folded = WeightDeltaFolding.Fold(weights, new AdapterWeightDelta(adapter, config, weights));
        using var foldedModel = LlamaModel.FromWeights(folded);

        var error = adapted.Zip(Logits(foldedModel), (a, b) => Math.Abs(a - b)).Max();
        Assert.InRange(error, 0, LogitTolerance);
    }

    [Fact]
    public void ResidualStreamMethods_AreRefusedByTheFolder()
    {
        var config = TestModels.GqaSeparateClassifier;
        var manifest = new AdapterManifest
        {
            Method = AdapterMethods.LoReft, Hyperparameters = AdapterManifest.ToJsonObject(new ReftConfig()),
            BaseModel = ModelFingerprint.Of(TestModels.Random(config)),
        };
        var e = Assert.Throws<ArgumentException>(() => new AdapterWeightDelta(new AdapterFolder(manifest, new Dictionary<string, TensorData>()), config));
        Assert.Contains("loreft", e.Message);
        Assert.Contains("cannot be folded", e.Message);
    }
}
