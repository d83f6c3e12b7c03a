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
