using Adapters.Core.Exported;
using Adapters.Runtime.Serving;
using Microsoft.ML.OnnxRuntime;
using Onnx;

namespace Adapters.Runtime.Tests.Serving;

/// <summary>
/// ReFT edits touch prompt positions only, so the exported graph runs them under an If on "some
/// position mask is nonzero": on decode steps (all masks zero) each edited layer costs one If and
/// an Identity, and the edit's weights are not even read.
/// </summary>
[Collection(AdapterServingCollection.Name)]
public sealed class ResidualEditSkipTests(AdapterExportFixture exports)
{
    static readonly int[] Prompt = [1, 403, 407, 261, 378, 300];
    const int DecodeToken = 290;

    [Fact]
    public void EveryEditedLayer_IsOneIf_WhoseElseBranchIsIdentity()
    {
        foreach (var model in new[] { exports.Swappable, exports.Batched })
        {
            var proto = ModelProto.Parser.ParseFrom(File.ReadAllBytes(Path.Combine(model.Exported.Folder, "model.onnx")));
            var editedLayers = model.Exported.Manifest.Adapters!.Inputs
                .Where(i => i.Name.Contains(".residual_edit.", StringComparison.Ordinal))
                .Select(i => i.Name.Split('.')[2]).Distinct().Count();
            var ifs = proto.Graph.Node.Where(n => n.OpType == "If").ToList();
            string mode = model.Exported.Manifest.Adapters!.Mode.ToString();

            Assert.True(editedLayers > 0, $"{mode}: the fixture should export ReFT adapters");
            Assert.Equal(editedLayers, ifs.Count);
            foreach (var node in ifs)
            {
                Assert.EndsWith("any_edit", Assert.Single(node.Input));
                var elseBranch = node.Attribute.Single(a => a.Name == "else_branch").G;
                var thenBranch = node.Attribute.Single(a => a.Name == "then_branch").G;
                Assert.Equal("Identity", Assert.Single(elseBranch.Node).OpType);
                Assert.Contains(thenBranch.Node, n => n.OpType == "MatMul");
                Assert.Equal(TensorProto.Types.DataType.Float, (TensorProto.Types.DataType)Assert.Single(thenBranch.Output).Type.TensorType.ElemType);
            }
            // Outside the branches no node reads an edit weight.
            var editInputs = proto.Graph.Input.Select(i => i.Name).Where(n => n.Contains(".residual_edit.", StringComparison.Ordinal)).ToHashSet();
            Assert.DoesNotContain(proto.Graph.Node, n => n.Input.Any(editInputs.Contains));
        }
    }

    [Fact]
    public void WithAllMasksZero_EditWeightsAreNeverEvaluated_AndTheBaseLogitsComeOutExactly()
    {
        // The loreft adapter's inputs with every value NaN: were the edit computed, NaN·0 = NaN would
        // reach the logits. With zero masks the If takes its Identity branch instead.
        var poisoned = OnnxAdapterFile.Read(AdapterExportFixture.AdapterFilePath(exports.Swappable, "loreft")).Parameters
            .Where(t => t.Name.Contains(".residual_edit.", StringComparison.Ordinal))
            .ToDictionary(t => t.Name, t => OrtValue.CreateTensorValueFromMemory(Enumerable.Repeat(float.NaN, t.Data.Length).ToArray(), t.Shape.Select(d => (long)d).ToArray()));
        Assert.NotEmpty(poisoned);
        var masks = exports.Swappable.Exported.Manifest.Adapters!.PositionMasks.Values.ToList();
        Assert.Equal(2, masks.Count);

        using var plain = exports.Swappable.StartBatch(1);
        using var edited = exports.Swappable.StartBatch(1);
        foreach (int[] tokens in new[] { Prompt, [DecodeToken], [DecodeToken + 1] })
        {
            var feed = new Dictionary<string, OrtValue>(poisoned);
            var zeroMasks = masks.Select(m => (m, OrtValue.CreateTensorValueFromMemory(new float[tokens.Length], [1, tokens.Length, 1]))).ToList();
            foreach (var (name, value) in zeroMasks) feed[name] = value;

            float[] expected = plain.Forward([tokens]).Values.ToArray();
            float[] actual = edited.Forward([tokens], feed).Values.ToArray();

            Assert.DoesNotContain(actual, float.IsNaN);
            Assert.Equal(expected, actual);
            foreach (var (_, value) in zeroMasks) value.Dispose();
        }
        foreach (var value in poisoned.Values) value.Dispose();
    }

    [Fact]
    public void WithAMaskSet_TheEditRuns()
    {
        var weights = OnnxAdapterFile.Read(AdapterExportFixture.AdapterFilePath(exports.Swappable, "loreft")).Parameters
            .ToDictionary(t => t.Name, t => OrtValue.CreateTensorValueFromMemory(t.Data, t.Shape.Select(d => (long)d).ToArray()));
        string prefixMask = exports.Swappable.Exported.Manifest.Adapters!.PositionMasks[AdapterInputNames.Groups[0]];
        var mask = new float[Prompt.Length];
        mask[0] = 1f;
        using var maskValue = OrtValue.CreateTensorValueFromMemory(mask, [1, Prompt.Length, 1]);
        weights[prefixMask] = maskValue;

        using var plain = exports.Swappable.StartBatch(1);
        using var edited = exports.Swappable.StartBatch(1);
        var expected = plain.Forward([Prompt]);
        var actual = edited.Forward([Prompt], weights);

        Assert.True(TestRuntime.MaxAbsDiff(expected.At(0, 0), actual.At(0, 0)) > 1e-3f, "the edited position should change");
        foreach (var (name, value) in weights) if (name != prefixMask) value.Dispose();
    }
}
