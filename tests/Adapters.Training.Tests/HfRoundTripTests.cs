using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.TestSupport;
using Adapters.Training.Engine;
using TorchSharp;
using Xunit.Abstractions;

namespace Adapters.Training.Tests;

/// <summary>
/// Weights written as a Hugging Face folder (q/k rows permuted to rotate-half) and read back
/// (permuted to adjacent pairs again) give the same logits: checks core's HF layout conversion
/// end to end, through a model.
/// </summary>
public class HfRoundTripTests(ITestOutputHelper output)
{
    const int DecodeSteps = 8;

    public static TheoryData<string> Models => ["stories260K", "random GQA, separate classifier"];

    static LlamaWeights Load(string model) =>
        model == "stories260K" ? TestModels.Stories260K() : TestModels.Random(TestModels.GqaSeparateClassifier);

    [Theory]
    [MemberData(nameof(Models))]
    public void HfRoundTrip_GivesSameLogits(string model)
    {
        var original = Load(model);
        string folder = SharedModels.NewTempFolder("hf-roundtrip");
        try
        {
            HfCheckpoint.Write(original, folder);
            var reread = HfCheckpoint.Read(folder);
            Assert.Equal(original.Config, reread.Config);
            // The permutation is exact and F32 safetensors are lossless: every tensor comes back bit for bit.
            foreach (var tensor in original.Tensors)
                Assert.True(tensor.Data.AsSpan().SequenceEqual(reread[tensor.Name].Data), $"'{tensor.Name}' changed in the round trip");

            var run = LogitRuns.Reference(original, [1, 12, 34, 56], DecodeSteps);
            var expected = Logits(original, run.Tokens);
            var actual = Logits(reread, run.Tokens);
            float difference = LogitRuns.MaxAbsDifference(expected, actual);
            output.WriteLine($"max |logit difference| = {difference:E2}");
            // Equal weights in libtorch-owned memory give equal logits: the engine copies weights out
            // of managed arrays, whose GC-chosen alignment once steered MKL to kernels a few ulps apart.
            Assert.Equal(0f, difference);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void HfQueryAndKeyRows_FollowTheHuggingFaceConversionPermutation()
    {
        // convert_llama_weights_to_hf.py: w.view(heads, head_size / 2, 2, in).transpose(1, 2).reshape(out, in),
        // written here with torch ops, independently of core's RotaryLayout loops.
        var weights = TestModels.Random(TestModels.GqaSeparateClassifier);
        var c = weights.Config;
        string folder = SharedModels.NewTempFolder("hf-permute");
        try
        {
            HfCheckpoint.Write(weights, folder);
            var file = SafeTensorsFile.Open(Path.Combine(folder, HfCheckpoint.WeightsFile));
            foreach (var (name, heads) in new[] { (LlamaTensorNames.Wq(1), c.NumHeads), (LlamaTensorNames.Wk(1), c.NumKvHeads) })
            {
                var canonical = weights[name];
                using var w = torch.tensor(canonical.Data, [canonical.Shape[0], canonical.Shape[1]]);
                using var permuted = w.view(heads, c.HeadSize / 2, 2, c.Dim).transpose(1, 2).reshape(canonical.Shape[0], c.Dim).contiguous();
                Assert.Equal(permuted.data<float>().ToArray(), file.ReadFloat(name).Data);
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    static IReadOnlyList<float[]> Logits(LlamaWeights weights, IReadOnlyList<int> tokens)
    {
        using var engine = TorchDecoderModel.FromWeights(weights);
        using var session = engine.StartSession();
        return LogitRuns.Session(session, tokens, promptLength: 4);
    }
}
