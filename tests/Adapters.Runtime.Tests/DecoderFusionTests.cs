using Adapters.Core.Generation;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.Export.Onnx;
using Adapters.TestSupport;

namespace Adapters.Runtime.Tests;

/// <summary>
/// <c>export --fuse</c>: every combination of the contrib-op fusions (GroupQueryAttention,
/// SkipSimplifiedLayerNormalization, RotaryEmbedding) gives every family the independent
/// reference's logits over a prefill, 16 decode steps and a second prompt, and the graph holds the
/// fused ops (so the comparison is of the fused graph); shapes the kernels refuse are refused at export.
/// </summary>
public sealed class DecoderFusionTests
{
    static readonly int[] Prompt = [1, 5, 96, 40, 0, 13, 7, 7, 60, 2, 33, 81];
    static readonly string[] FusionSets = ["gqa", "skip-norm", "rotary", "gqa,skip-norm", "skip-norm,rotary"];

    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (string family in TinyFamilies.Names)
            foreach (string fusions in FusionSets) data.Add(family, fusions);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Fused_graph_matches_the_reference(string family, string fusions)
    {
        var weights = TinyFamilies.Weights(family);
        var options = DecoderFusions.Parse(fusions);
        using var export = new TempExport(weights, new LlamaExportOptions { IntraOpThreads = 2, Fusions = options });
        Assert.Equal(fusions.Split(','), export.Manifest.Fusions);
        var graph = MatMulNBitsSpecReader.ReadModel(export.Folder).Graph;
        var ops = graph.Node.Select(n => n.OpType).ToList();
        Assert.Equal(options.GroupQueryAttention ? weights.Config.NumLayers : 0, ops.Count(o => o == "GroupQueryAttention"));
        // GroupQueryAttention takes q|k|v packed and splits it itself (no Split node before it); q/k norms (Qwen3) need them apart.
        var splitOutputs = graph.Node.Where(n => n.OpType == "Split").SelectMany(n => n.Output).ToHashSet();
        foreach (var gqa in graph.Node.Where(n => n.OpType == "GroupQueryAttention"))
        {
            Assert.Equal(weights.Config.QkNorm, gqa.Input[1].Length > 0 && gqa.Input[2].Length > 0);
            if (!weights.Config.QkNorm) Assert.DoesNotContain(gqa.Input[0], splitOutputs);
        }
        Assert.Equal(options.RotaryEmbedding ? 2 * weights.Config.NumLayers : 0, ops.Count(o => o == "RotaryEmbedding"));
        // Both residual adds of every layer fold into the next norm (the last one into the final norm).
        Assert.Equal(options.SkipNorm ? 2 * weights.Config.NumLayers : 0, ops.Count(o => o == "SkipSimplifiedLayerNormalization"));

        using var model = export.Load();
        var reference = new ReferenceLlama(weights);
        int vocab = weights.Config.VocabSize;
        using var session = model.StartSession();
        float[] expected = [];
        void Feed(int[] tokens, string what)
        {
            float[] actual = session.Forward(tokens);
            for (int i = 0; i < tokens.Length; i++)
            {
                expected = reference.Step(tokens[i]);
                TestRuntime.AssertClose(expected, actual.AsSpan(i * vocab, vocab), $"{family} --fuse {fusions}, {what} token {i}");
            }
        }
        Feed(Prompt, "prefill");
        for (int step = 0; step < 16; step++) Feed([Sampler.ArgMax(expected)], $"decode step {step}");
        Feed([3, 50, 61, 9], "second prompt");
    }

    [Fact]
    public void Gqa_on_a_head_size_the_kernel_refuses_is_refused_naming_it()
    {
        var weights = TinyFamilies.Weights(TinyFamilies.Config(TinyFamilies.Mistral) with { Dim = 32 }); // 4 heads of 8
        var error = Assert.Throws<ArgumentException>(() => new TempExport(weights, new LlamaExportOptions { Fusions = DecoderFusions.Parse("gqa") }));
        Assert.Contains("multiple of 16", error.Message);
        Assert.Contains("this model's is 8", error.Message);
    }

    [Theory]
    [InlineData("gqa,rotary", "already rotates")]
    [InlineData("gqa,flash", "'flash' is not a fusion")]
    [InlineData("", "needs a value")]
    public void Bad_fusion_lists_are_refused_naming_the_word(string text, string fragment)
    {
        var error = Assert.Throws<ArgumentException>(() => DecoderFusions.Parse(text).ValidateFor(TinyFamilies.Config(TinyFamilies.Mistral)));
        Assert.Contains(fragment, error.Message);
    }
}
