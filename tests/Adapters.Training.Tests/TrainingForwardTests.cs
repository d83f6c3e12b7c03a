using Adapters.Core.Model;
using Adapters.Training.Engine;
using Adapters.Training.Model;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Adapters.Training.Tests;

/// <summary>The cache-free full-sequence forward used for training: same logits, gradients, precision.</summary>
public class TrainingForwardTests(ITestOutputHelper output)
{
    /// <summary>One batched pass against many small ones: float32 summation-order noise only.</summary>
    const float PathTolerance = 1e-4f;

    /// <summary>Central differences in float64 with this step have truncation and rounding error ~1e-9.</summary>
    const double FiniteDifferenceStep = 1e-5;
    const double GradientRelativeTolerance = 1e-6;

    static readonly int[] Tokens = [1, 403, 407, 261, 378, 300, 271, 380, 262, 296];
    const int PromptLength = 4;

    static Tensor Ids(int[] tokens) => tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length]);

    [Fact]
    public void FullSequenceForward_EqualsCachedPrefillAndDecode()
    {
        using var model = LlamaModel.FromWeights(TestModels.Stories260K());
        using var session = new TorchDecoderSession(model);
        var cached = LogitRuns.Session(session, Tokens, PromptLength);

        float[] flat;
        using (no_grad())
        using (var logits = model.forward(Ids(Tokens))) flat = logits.data<float>().ToArray();
        var full = LogitRuns.Split(flat, model.Config.VocabSize).ToList();

        float difference = LogitRuns.MaxAbsDifference(cached, full);
        output.WriteLine($"max |logit difference| = {difference:E2}");
        Assert.InRange(difference, 0, PathTolerance);
    }

    [Fact]
    public void BaseWeights_AreFrozenByDefault()
    {
        using var model = LlamaModel.FromWeights(TestModels.Stories260K());
        Assert.All(model.parameters(), p => Assert.False(p.requires_grad));
    }

    [Fact]
    public void SetBaseTrainable_TogglesEveryBaseWeight()
    {
        using var model = LlamaModel.FromWeights(TestModels.Stories260K());

        model.SetBaseTrainable(true);
        Assert.All(model.BaseParameters, p => Assert.True(p.Parameter.requires_grad, p.Name));
        model.SetBaseTrainable(false);
        Assert.All(model.BaseParameters, p => Assert.False(p.Parameter.requires_grad, p.Name));
    }

    [Fact]
    public void TrainableHookParameter_ReceivesGradientThroughFrozenBase()
    {
        using var model = LlamaModel.FromWeights(TestModels.Stories260K());
        using var shift = new Parameter(zeros(model.Config.Dim), requires_grad: true);
        model.SetResidualHook(2, (hidden, _) => hidden + shift);

        using (var loss = model.forward(Ids(Tokens)).pow(2).mean()) loss.backward();

        Assert.NotNull(shift.grad);
        Assert.True(shift.grad!.abs().max().item<float>() > 0);
        Assert.All(model.BaseParameters, p => Assert.Null(p.Parameter.grad));
    }

    [Fact]
    public void TrainableBaseWeights_AllReceiveGradients()
    {
        using var model = LlamaModel.FromWeights(TestModels.Stories260K(), trainBaseWeights: true);

        using (var loss = model.forward(Ids(Tokens)).pow(2).mean()) loss.backward();

        Assert.All(model.BaseParameters, p => Assert.True(p.Parameter.grad is { } g && g.abs().max().item<float>() > 0, $"{p.Name} has no gradient"));
    }

    [Fact]
    public void Float64Gradient_MatchesCentralFiniteDifferences()
    {
        // A later finite-difference check of adapter gradients depends on this working in float64.
        var config = TestModels.GqaSeparateClassifier;
        using var model = LlamaModel.FromWeights(TestModels.Random(config), ScalarType.Float64);
        using var shift = new Parameter(zeros(config.Dim, dtype: ScalarType.Float64), requires_grad: true);
        model.SetResidualHook(0, (hidden, _) => hidden + shift);
        using var probe = randn([1, 6, config.VocabSize], ScalarType.Float64, generator: new Generator(7));
        using var ids = Ids([1, 5, 17, 42, 96, 3]);
        double Loss() { using var s = NewDisposeScope(); return (model.forward(ids) * probe).sum().item<double>(); }

        using (var loss = (model.forward(ids) * probe).sum()) loss.backward();
        var analytic = shift.grad!.data<double>().ToArray();

        using var noGrad = no_grad();
        foreach (int i in new[] { 0, 7, config.Dim - 1 })
        {
            shift[i] += FiniteDifferenceStep;
            double plus = Loss();
            shift[i] -= 2 * FiniteDifferenceStep;
            double minus = Loss();
            shift[i] += FiniteDifferenceStep;
            double numeric = (plus - minus) / (2 * FiniteDifferenceStep);
            output.WriteLine($"d loss / d shift[{i}]: analytic {analytic[i]:E6}, numeric {numeric:E6}");
            Assert.InRange(Math.Abs(analytic[i] - numeric), 0, GradientRelativeTolerance * Math.Max(1, Math.Abs(numeric)));
        }
    }

    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float64)]
    public void ToWeights_ReturnsTheBaseWeightsUnchanged(ScalarType dtype)
    {
        var weights = TestModels.Random(TestModels.GqaSeparateClassifier);
        using var model = LlamaModel.FromWeights(weights, dtype);

        var exported = model.ToWeights();

        Assert.Equal(weights.Config, exported.Config);
        foreach (var (name, _) in LlamaWeights.ExpectedShapes(weights.Config))
            Assert.Equal(weights[name].Data, exported[name].Data);
    }

    [Fact]
    public void ForwardWithoutCache_RefusesAStartPositionOtherThanZero()
    {
        using var model = LlamaModel.FromWeights(TestModels.Stories260K());
        using var ids = Ids([1, 2]);
        Assert.Throws<ArgumentException>(() => model.Forward(ids, startPos: 3, cache: null));
    }
}
