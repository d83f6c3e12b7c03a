using Adapters.Core.Model;
using Adapters.Training.Engine;

namespace Adapters.Training.Tests;

/// <summary>The batch-1 session and engine options.</summary>
public class TorchDecoderSessionTests
{
    [Fact]
    public void Session_TracksPositionAndReturnsOneLogitRowPerToken()
    {
        using var engine = TorchDecoderModel.FromWeights(TestModels.Stories260K());
        using var session = engine.StartSession();

        var prefill = session.Forward([1, 403, 407]);
        var step = session.Forward([261]);

        Assert.Equal(3 * engine.Config.VocabSize, prefill.Length);
        Assert.Equal(engine.Config.VocabSize, step.Length);
        Assert.Equal(4, session.Position);
    }

    [Fact]
    public void Cached_decoding_across_the_caches_growth_equals_the_cache_free_forward()
    {
        // The cache starts at 256 positions and doubles: a prefill of 250 then 30 single steps make it grow to 512 mid-run.
        var weights = TestModels.Stories260K();
        int length = 280;
        var rng = new Random(3);
        var tokens = Enumerable.Range(0, length).Select(_ => rng.Next(weights.Config.VocabSize)).ToArray();
        using var engine = TorchDecoderModel.FromWeights(weights);
        using var session = engine.StartSession();
        var cached = LogitRuns.Split(session.Forward(tokens[..250]), weights.Config.VocabSize).ToList();
        foreach (int t in tokens[250..]) cached.Add(session.Forward([t]));

        using var ids = TorchSharp.torch.tensor(tokens.Select(t => (long)t).ToArray(), [1, length]);
        using var noGrad = TorchSharp.torch.no_grad();
        using var full = engine.Model.forward(ids).contiguous();
        var expected = LogitRuns.Split(full.data<float>().ToArray(), weights.Config.VocabSize).ToList();
        Assert.InRange(LogitRuns.MaxAbsDifference(expected, cached), 0, 1e-4f);
    }

    [Fact]
    public void Session_RefusesTokensBeyondTheContext()
    {
        var config = TestModels.GqaSeparateClassifier;
        using var engine = TorchDecoderModel.FromWeights(TestModels.Random(config));
        using var session = engine.StartSession();
        session.Forward(new int[config.MaxSeqLen - 1]);

        var error = Assert.Throws<ArgumentException>(() => session.Forward([1, 2]));
        Assert.Contains($"{config.MaxSeqLen}", error.Message);
    }

    [Fact]
    public void Session_RefusesTokensOutsideTheVocabulary()
    {
        using var engine = TorchDecoderModel.FromWeights(TestModels.Stories260K());
        using var session = engine.StartSession();
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Forward([1, engine.Config.VocabSize]));
    }

    [Fact]
    public void TorchThreads_ZeroMeansOnePerCore()
    {
        Assert.Equal(Environment.ProcessorCount, TorchThreads.Apply(0));
    }

    [Fact]
    public void TorchThreads_RefusesANegativeCount()
    {
        Assert.Throws<ArgumentException>(() => TorchThreads.Apply(-1));
    }
}
