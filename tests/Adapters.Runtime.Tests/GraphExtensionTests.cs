using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.Export.Onnx;
using Microsoft.ML.OnnxRuntime;
using DataType = Onnx.TensorProto.Types.DataType;

namespace Adapters.Runtime.Tests;

/// <summary>The extension hooks see every projection and layer, and an extension's own graph input reaches the runtime.</summary>
public sealed class GraphExtensionTests
{
    static readonly LlamaConfig Config = new()
    {
        Dim = 16, HiddenDim = 40, NumLayers = 3, NumHeads = 4, NumKvHeads = 2, VocabSize = 32, MaxSeqLen = 16,
    };

    static readonly int[] Prompt = [1, 7, 30, 2, 11];

    [Fact]
    public void Hooks_SeeEveryProjectionOfEveryLayerAndEveryResidualStream()
    {
        var recorder = new RecordingExtension();
        using var export = new TempExport(RandomCheckpoint.Create(Config), new LlamaExportOptions { IntraOpThreads = 1, Extensions = [recorder] });

        // Projection groups, packed: q/k/v 16 -> 16 + 8 + 8 (2 of 4 heads for k/v), o, gate/up 16 -> 40 + 40, down.
        var expectedSites = Enumerable.Range(0, Config.NumLayers).SelectMany(l => new[]
        {
            $"model.layers.{l}.self_attn.qkv_proj:16->32", $"model.layers.{l}.self_attn.o_proj:16->16",
            $"model.layers.{l}.mlp.gate_up_proj:16->80", $"model.layers.{l}.mlp.down_proj:40->16",
        });
        Assert.Equal(expectedSites.Order(StringComparer.Ordinal), recorder.Sites.Order(StringComparer.Ordinal));
        Assert.Equal([0, 1, 2], recorder.Layers);
    }

    [Fact]
    public void ResidualBiasInput_ZeroGivesBaseLogits_NonZeroChangesThem()
    {
        var weights = RandomCheckpoint.Create(Config, seed: 4);
        using var plain = new TempExport(weights);
        using var extended = new TempExport(weights, new LlamaExportOptions { IntraOpThreads = 1, Extensions = [new ResidualBiasExtension(Layer: 1)] });
        using var plainModel = plain.Load();
        using var extendedModel = extended.Load();

        float[] baseLogits = Forward(plainModel, null);
        float[] zeroBias = Forward(extendedModel, new float[Config.Dim]);
        float[] someBias = Forward(extendedModel, Enumerable.Repeat(0.5f, Config.Dim).ToArray());

        TestRuntime.AssertClose(baseLogits, zeroBias, "zero residual bias");
        Assert.True(TestRuntime.MaxAbsDiff(baseLogits, someBias) > 1e-3f, "a non-zero residual bias should change the logits");
    }

    static float[] Forward(OnnxDecoderModel model, float[]? bias)
    {
        using var batch = model.StartBatch(1);
        if (bias is null) return batch.Forward([Prompt]).Values.ToArray();
        using var biasValue = OrtValue.CreateTensorValueFromMemory(bias, [bias.Length]);
        return batch.Forward([Prompt], new Dictionary<string, OrtValue> { [ResidualBiasExtension.InputName] = biasValue }).Values.ToArray();
    }

    sealed class RecordingExtension : ILlamaGraphExtension
    {
        public List<string> Sites { get; } = [];
        public List<int> Layers { get; } = [];

        public string OnProjection(LlamaGraphContext context, ProjectionSite site, string input, string output)
        {
            Sites.Add($"{site.Module}:{site.InFeatures}->{site.OutFeatures}");
            return output;
        }

        public string OnResidualStream(LlamaGraphContext context, int layer, string hidden)
        {
            Layers.Add(layer);
            return hidden;
        }
    }

    /// <summary>h ← h + b after one layer, with b [dim] a graph input: the shape of a ReFT-style edit.</summary>
    sealed record ResidualBiasExtension(int Layer) : ILlamaGraphExtension
    {
        public const string InputName = "residual_bias";

        public void AddInputs(LlamaGraphContext context) =>
            context.Graph.AddInput(InputName, DataType.Float, context.Config.Dim);

        public string OnResidualStream(LlamaGraphContext context, int layer, string hidden) =>
            layer == Layer ? context.Graph.Add(hidden, InputName, "residual_biased") : hidden;
    }
}
