using Adapters.Core.Checkpoints;
using Adapters.Core.Generation;
using Adapters.Core.Model;
using Adapters.TestSupport;
using Adapters.Training.Engine;
using Xunit.Abstractions;

namespace Adapters.Training.Tests;

/// <summary>
/// The TorchSharp engine on each family's shrunk configuration (Llama 3 rope scaling, Llama with
/// attention_bias and linear scaling, Mistral, Qwen2 biases, Qwen3 q/k norm with head_dim ≠
/// dim/heads; F32, F16 and BF16 files) equals the independent numpy port of Hugging Face's modeling
/// code committed in tests/reference/families, and each feature changes the greedy tokens.
/// </summary>
public sealed class FamilyReferenceTests(ITestOutputHelper output) : IDisposable
{
    /// <summary>float32 engine against the float64 reference: rounding differences only.</summary>
    const double Tolerance = 1e-4;

    readonly string _dir = SharedModels.NewTempFolder("family-reference");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    public static IEnumerable<object[]> Cases => FamilyReferenceCase.Names;

    LlamaWeights Load(FamilyReferenceCase c) => HfCheckpoint.Read(c.WriteCheckpoint(Path.Combine(_dir, c.Name)));

    /// <summary>Logits of every fed position: the prompt as one prefill, then one token per decode step.</summary>
    static List<float[]> Run(LlamaWeights weights, IReadOnlyList<int> prompt, IReadOnlyList<int> decodeTokens)
    {
        using var engine = TorchDecoderModel.FromWeights(weights);
        using var session = engine.StartSession();
        int vocab = weights.Config.VocabSize;
        var rows = LogitRuns.Split(session.Forward(prompt.ToArray()), vocab).ToList();
        foreach (int token in decodeTokens) rows.AddRange(LogitRuns.Split(session.Forward([token]), vocab));
        return rows;
    }

    /// <summary>The engine's own greedy tokens: the prefill's argmax, then one per decode step.</summary>
    static int[] Greedy(LlamaWeights weights, IReadOnlyList<int> prompt, int steps)
    {
        using var engine = TorchDecoderModel.FromWeights(weights);
        using var session = engine.StartSession();
        int vocab = weights.Config.VocabSize;
        var tokens = new List<int> { Sampler.ArgMax(LogitRuns.Split(session.Forward(prompt.ToArray()), vocab).Last()) };
        for (int i = 0; i < steps; i++) tokens.Add(Sampler.ArgMax(session.Forward([tokens[^1]])));
        return [.. tokens];
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Torch_logits_over_prefill_and_16_decode_steps_equal_the_reference(string name)
    {
        var c = FamilyReferenceCase.Get(name);
        var reference = c.Reference;
        Assert.Equal(c.PromptIds, reference.PromptIds);
        var weights = Load(c);
        var rows = Run(weights, reference.PromptIds, reference.GreedyIds.Take(reference.Steps).ToList());
        Assert.Equal(reference.Rows.Length, rows.Count);
        double max = 0;
        for (int i = 0; i < rows.Count; i++)
        {
            Assert.Equal(reference.Rows[i].ArgMax, Sampler.ArgMax(rows[i]));
            max = Math.Max(max, reference.Rows[i].MaxDifference(rows[i]));
        }
        output.WriteLine($"{name}: max |logit difference| = {max:E2} over {rows.Count} positions ({ModelShapes.Describe(weights.Config)})");
        Assert.InRange(max, 0, Tolerance);
        Assert.Equal(reference.GreedyIds, Greedy(weights, reference.PromptIds, reference.Steps));
    }

    /// <summary>A model without one feature: same weights, the feature's tensors dropped.</summary>
    static LlamaWeights Without(LlamaWeights w, string feature)
    {
        var config = feature switch
        {
            "rope_scaling" => w.Config with { RopeScaling = null },
            "biases" => w.Config with { QkvBias = false, OutputBias = false },
            "qk_norm" => w.Config with { QkNorm = false },
            _ => throw new ArgumentException(feature),
        };
        Assert.NotEqual(w.Config, config); // the case has the feature
        var kept = LlamaWeights.ExpectedShapes(config).Select(e => e.Name).ToHashSet();
        return new LlamaWeights(config, w.Tensors.Where(t => kept.Contains(t.Name)), w.Source);
    }

    [Theory]
    [InlineData("llama3-tiny", "rope_scaling")]
    [InlineData("llama-bias-linear-tiny", "rope_scaling")]
    [InlineData("llama-bias-linear-tiny", "biases")]
    [InlineData("qwen2-tiny", "biases")]
    [InlineData("qwen3-tiny", "qk_norm")]
    public void Turning_a_feature_off_changes_the_greedy_tokens(string name, string feature)
    {
        var c = FamilyReferenceCase.Get(name);
        var reference = c.Reference;
        var without = Greedy(Without(Load(c), feature), reference.PromptIds, reference.Steps);
        output.WriteLine($"{name} without {feature}: {string.Join(",", without)}\n  reference: {string.Join(",", reference.GreedyIds)}");
        Assert.NotEqual(reference.GreedyIds, without);
    }
}
