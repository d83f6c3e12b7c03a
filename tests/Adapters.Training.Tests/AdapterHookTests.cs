using Adapters.Core.Model;
using Adapters.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Tests;

/// <summary>
/// The places adapters attach: projections are named like Hugging Face modules and can be
/// swapped for wrappers; each layer's residual-stream output can be intervened on.
/// </summary>
public class AdapterHookTests
{
    /// <summary>Adding exactly zero reproduces every value; allow only run-to-run kernel noise.</summary>
    const float UnchangedTolerance = 1e-6f;

    /// <summary>A change this large cannot be rounding noise.</summary>
    const float ChangedAtLeast = 1e-3f;

    static readonly long[] Tokens = [1, 403, 407, 261, 378, 300];

    static float[] Logits(LlamaModel model)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        return model.forward(tensor(Tokens, [1, Tokens.Length])).data<float>().ToArray();
    }

    static float MaxDifference(float[] a, float[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();

    public static TheoryData<bool> SharedClassifier => [true, false];

    [Theory]
    [MemberData(nameof(SharedClassifier))]
    public void ParameterNames_AreTheHuggingFaceKeys(bool sharedClassifier)
    {
        var config = TestModels.GqaSeparateClassifier with { SharedClassifier = sharedClassifier };
        using var model = LlamaModel.FromWeights(TestModels.Random(config));

        var names = model.named_parameters().Select(p => p.name).Order(StringComparer.Ordinal);
        var expected = LlamaWeights.ExpectedShapes(config).Select(e => e.Name).Order(StringComparer.Ordinal);

        Assert.Equal(expected, names);
    }

    [Fact]
    public void WrappingEveryProjectionWithAZeroShift_LeavesLogitsUnchanged()
    {
        using var model = LlamaModel.FromWeights(TestModels.Stories260K());
        var before = Logits(model);

        for (int layer = 0; layer < model.Config.NumLayers; layer++)
            foreach (string projection in LlamaTensorNames.Projections)
                model.SetProjection(layer, projection, new ShiftedProjection(model.GetProjection(layer, projection), shift: 0));

        Assert.InRange(MaxDifference(before, Logits(model)), 0, UnchangedTolerance);
    }

    [Fact]
    public void WrappedProjection_TakesTheModuleNameAndIsUsedByTheForward()
    {
        using var model = LlamaModel.FromWeights(TestModels.Stories260K());
        var before = Logits(model);
        var original = model.GetProjection(2, "up_proj");

        var wrapper = new ShiftedProjection(original, shift: 0.5);
        var replaced = model.SetProjection(2, "up_proj", wrapper);

        Assert.Same(original, replaced);
        Assert.Same(wrapper, model.named_modules().Single(m => m.name == LlamaTensorNames.ProjectionModule(2, "up_proj")).module);
        Assert.Contains(model.named_parameters(), p => p.name == "model.layers.2.mlp.up_proj.base_layer.weight");
        Assert.Same(original, model.BaseProjection(2, "up_proj"));
        Assert.True(MaxDifference(before, Logits(model)) > ChangedAtLeast);
    }

    [Fact]
    public void UnknownProjectionName_IsRefusedNamingTheKnownOnes()
    {
        using var model = LlamaModel.FromWeights(TestModels.Stories260K());
        var error = Assert.Throws<ArgumentException>(() => model.GetProjection(0, "qkv_proj"));
        Assert.Contains("q_proj", error.Message);
    }

    [Fact]
    public void ResidualHookAddingZero_LeavesLogitsUnchanged()
    {
        using var model = LlamaModel.FromWeights(TestModels.Stories260K());
        var before = Logits(model);

        model.SetResidualHook(1, (hidden, _) => hidden + 0.0);

        Assert.InRange(MaxDifference(before, Logits(model)), 0, UnchangedTolerance);
    }

    [Fact]
    public void ResidualHookAddingNonZero_ChangesLogits()
    {
        using var model = LlamaModel.FromWeights(TestModels.Stories260K());
        var before = Logits(model);

        model.SetResidualHook(1, (hidden, _) => hidden + 0.5);

        Assert.True(MaxDifference(before, Logits(model)) > ChangedAtLeast);
    }

    [Fact]
    public void ResidualHookRemoved_RestoresTheBaseLogits()
    {
        using var model = LlamaModel.FromWeights(TestModels.Stories260K());
        var before = Logits(model);

        model.SetResidualHook(1, (hidden, _) => hidden + 0.5);
        model.SetResidualHook(1, null);

        Assert.InRange(MaxDifference(before, Logits(model)), 0, UnchangedTolerance);
    }

    [Fact]
    public void ResidualHook_SeesEachCallsAbsoluteStartPosition()
    {
        using var model = LlamaModel.FromWeights(TestModels.Stories260K());
        var seen = new List<(int StartPos, long Seq)>();
        model.SetResidualHook(0, (hidden, startPos) => { seen.Add((startPos, hidden.shape[1])); return hidden; });
        using var session = new Engine.TorchDecoderSession(model);

        session.Forward([1, 403, 407, 261]);
        session.Forward([378]);
        session.Forward([300]);

        Assert.Equal([(0, 4L), (4, 1L), (5, 1L)], seen);
    }
}
