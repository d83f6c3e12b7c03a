using Adapters.Core.Generation;
using Adapters.Core.Model;
using Adapters.TestSupport;
using Adapters.Training.Engine;
using Adapters.Training.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Adapters.Training.Tests;

/// <summary>Greedy decoding picks exactly the reference's tokens, alone and in a batch.</summary>
public class GreedyDecodingTests
{
    const int Bos = 1;
    const int GeneratedTokens = 40;

    /// <summary>
    /// A batch changes matrix shapes and so float32 summation order (measured ~1.3e-5 on logits of
    /// magnitude ~10); the tokens must match exactly, the logits within the reference tolerance.
    /// </summary>
    const float BatchTolerance = 1e-4f;

    [Fact]
    public void Stories260K_GreedyFromBos_MatchesReferenceTokens()
    {
        var weights = TestModels.Stories260K();
        var expected = LogitRuns.Reference(weights, [Bos], GeneratedTokens).Tokens.Skip(1).Take(GeneratedTokens).ToList();

        using var engine = TorchDecoderModel.FromWeights(weights);
        var actual = TextGenerator.GenerateTokens(engine, [Bos], GeneratedTokens, SamplingOptions.Greedy).ToList();

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void BatchOfTwoRows_EqualsTwoSingleRowRuns()
    {
        int[][] prompts = [[Bos, 403, 407, 261], [Bos, 300, 271, 380]];
        const int decodeSteps = 8;
        using var model = LlamaModel.FromWeights(TestModels.Stories260K());
        using var noGrad = no_grad();

        var single = prompts.Select(p => GreedyRows(model, [p], decodeSteps)[0]).ToList();
        var batched = GreedyRows(model, prompts, decodeSteps);

        for (int row = 0; row < prompts.Length; row++)
        {
            Assert.Equal(single[row].Tokens, batched[row].Tokens);
            Assert.InRange(LogitRuns.MaxAbsDifference(single[row].Logits, batched[row].Logits), 0, BatchTolerance);
        }
    }

    /// <summary>Prefills equal-length rows together, then decodes every row greedily in lockstep.</summary>
    static LogitRuns.Run[] GreedyRows(LlamaModel model, int[][] prompts, int decodeSteps)
    {
        int rows = prompts.Length, length = prompts[0].Length, vocab = model.Config.VocabSize;
        var tokens = prompts.Select(p => p.ToList()).ToArray();
        var logits = prompts.Select(_ => new List<float[]>()).ToArray();
        using var cache = model.CreateCache(rows);
        var next = prompts.SelectMany(p => p.Select(t => (long)t)).ToArray();
        int position = 0, width = length;
        for (int step = 0; step <= decodeSteps; step++)
        {
            using var scope = NewDisposeScope();
            var output = model.Forward(tensor(next, [rows, width]), position, cache).data<float>().ToArray();
            position += width;
            for (int r = 0; r < rows; r++)
                logits[r].AddRange(LogitRuns.Split(output.AsSpan(r * width * vocab, width * vocab).ToArray(), vocab));
            if (step == decodeSteps) break;
            width = 1;
            next = Enumerable.Range(0, rows).Select(r => (long)Sampler.ArgMax(logits[r][^1])).ToArray();
            for (int r = 0; r < rows; r++) tokens[r].Add((int)next[r]);
        }
        return Enumerable.Range(0, rows).Select(r => new LogitRuns.Run(tokens[r], logits[r])).ToArray();
    }
}
