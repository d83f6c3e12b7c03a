using Adapters.Core.Adapters;
using Adapters.Core.Tokenizers;
using Adapters.TestSupport;
using Adapters.Training.Meta;
using Adapters.Training.Methods;
using Adapters.Training.Model;
using Adapters.Training.Tests.Support;
using Xunit.Abstractions;

namespace Adapters.Training.Tests;

/// <summary>
/// A TARP-static initialisation meta-learned (first-order) on four small tasks adapts to a
/// held-out task faster than a fresh initialisation: lower held-out loss after the same few SGD steps.
/// </summary>
public class MetaLearningTests(ITestOutputHelper output)
{
    const int AdaptationSteps = 5;

    static MetaTask Task(string name, (IReadOnlyList<Trainer.TrainingExample> Train, IReadOnlyList<Trainer.TrainingExample> Eval) data) => new(name, data.Train, data.Eval);

    public static TheoryData<string, MetaAlgorithm> Cases => new()
    {
        // Measured (held-out loss after 5 steps, fresh → meta-learned): tarp-static Reptile
        // 2.35 → 1.48, FOMAML 2.35 → 1.70. Dynamic tarp adapts fast from scratch (1.55) and
        // its meta-learned start did worse (1.8–8.8): its per-token core overfits the meta tasks.
        { AdapterMethods.TarpStatic, MetaAlgorithm.Reptile },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void MetaLearnedInitialisation_AdaptsFasterThanAFreshOne_OnAHeldOutTask(string methodName, MetaAlgorithm algorithm)
    {
        var weights = TestModels.Stories260K();
        var tokenizer = TokenizerLoader.Load(SharedModels.Tok512, 512);
        using var model = LlamaModel.FromWeights(weights);
        using var method = AdapterMethodRegistry.Create(methodName, new TarpConfig { Rank = 4, TargetModules = ["q_proj", "v_proj", "o_proj"] }, model.Config, seed: 1);
        var options = new MetaTrainerOptions { Algorithm = algorithm, OuterSteps = 24, InnerSteps = 4, InnerLearningRate = 0.2, OuterLearningRate = 1e-2, Seed = 5, Threads = 2 };
        var meta = new MetaTrainer(model, method, tokenizer, options);
        var fresh = AdapterStore.ExportTensors(method).ToDictionary(t => t.Name);
        var (heldOutSupport, heldOutEval) = TaskData.FavoriteFood();

        double baseLoss = meta.EvalLoss(heldOutEval);
        meta.Adapt(heldOutSupport, AdaptationSteps, seed: 99);
        double freshLoss = meta.EvalLoss(heldOutEval);

        AdapterStore.ImportTensors(method, fresh);
        var result = meta.MetaTrain([Task("secret_word", TaskData.SecretWord()), Task("color_recall", TaskData.ColorRecall()),
            Task("catchphrase", TaskData.Catchphrase()), Task("pet_names", TaskData.PetNames())]);
        double metaInitLoss = meta.EvalLoss(heldOutEval);
        meta.Adapt(heldOutSupport, AdaptationSteps, seed: 99);
        double metaLoss = meta.EvalLoss(heldOutEval);

        output.WriteLine($"{methodName} {algorithm}: held-out base {baseLoss:F3}; after {AdaptationSteps} steps: fresh {freshLoss:F3}, meta-learned {metaLoss:F3} (meta init before adapting {metaInitLoss:F3}); meta-training {result.Seconds:F1} s");
        Assert.True(metaLoss < freshLoss, $"meta-learned {metaLoss:F3} is not below fresh {freshLoss:F3}");
    }

    [Fact]
    public void Options_RefuseBadValuesNamingThem()
    {
        var e = Assert.Throws<ArgumentException>(() => new MetaTrainerOptions { InnerSteps = 0 }.Validate());
        Assert.Contains("inner steps must be positive, got 0", e.Message);
    }
}
