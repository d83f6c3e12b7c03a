using Adapters.TestSupport;
using Adapters.Core.Tokenizers;
using Adapters.Core.Adapters;
using Adapters.Core.Generation;
using Adapters.Training.Engine;
using Adapters.Training.Methods.Reft;
using Adapters.Training.Tests.Support;
using Xunit.Abstractions;

namespace Adapters.Training.Tests;

/// <summary>Each method learns, on stories260K, a behaviour the base model does not have (the secret-word task).</summary>
public class MethodTrainingTests(TrainedAdapters adapters, ITestOutputHelper output) : IClassFixture<TrainedAdapters>
{
    /// <summary>"Clearly below": the trained held-out loss is at most this fraction of the base model's (measured ~0.1–0.2).</summary>
    const double LossRatioLimit = 0.4;

    /// <summary>Enough new tokens to hold the whole answer.</summary>
    const int MaxNewTokens = 16;

    /// <summary>An orthonormal-rows check in float32 after many retractions; QR leaves ~1e-6.</summary>
    const double OrthonormalityTolerance = 1e-4;

    public static TheoryData<string> Methods => [AdapterMethods.Lora, AdapterMethods.LoReft, AdapterMethods.DiReft];

    [Theory]
    [MemberData(nameof(Methods))]
    public void HeldOutLoss_DropsClearlyBelowTheBaseModel(string method)
    {
        var run = adapters.Get(method);
        output.WriteLine($"{method}: base held-out loss {run.BaseEvalLoss:F3}, trained {run.Result.FinalEvalLoss:F3}, {run.Result.TrainableParameters} parameters, {run.Result.TokensPerSecond:F0} tokens/s");
        Assert.NotNull(run.Result.FinalEvalLoss);
        Assert.InRange(run.Result.FinalEvalLoss!.Value, 0, LossRatioLimit * run.BaseEvalLoss);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void GreedyGeneration_GivesTheLearnedAnswerToHeldOutQuestions_WhichTheBaseModelDoesNot(string method)
    {
        var run = adapters.Get(method);
        var tokenizer = TokenizerLoader.Load(SharedModels.Tok512, 512);
        var (_, eval) = TaskData.SecretWord();
        using var adapted = new AdapterDecoderModel(run.Model, run.Method);
        foreach (var example in eval)
        {
            var prompt = tokenizer.Encode(example.Prompt, addBos: true);
            var full = TrainingTokens(tokenizer, example);
            var expected = full.Tokens[full.PromptLength..^1]; // the completion without EOS

            var withAdapter = TextGenerator.GenerateTokens(adapted, prompt, MaxNewTokens, SamplingOptions.Greedy, tokenizer.EosId).ToList();
            var withoutAdapter = GenerateWithout(run, prompt, tokenizer.EosId);
            output.WriteLine($"{example.Prompt} → adapter: '{tokenizer.Decode(withAdapter)}', base: '{tokenizer.Decode(withoutAdapter)}'");

            Assert.Equal(expected, withAdapter.Take(expected.Length));
            Assert.NotEqual(expected, withoutAdapter.Take(expected.Length));
        }
    }

    [Fact]
    public void LoReftR_KeepsOrthonormalRowsAfterTraining()
    {
        var method = (ReftMethod)adapters.Get(AdapterMethods.LoReft).Method;
        foreach (var (name, r) in method.Parameters.Where(p => p.Name.EndsWith(".R", StringComparison.Ordinal)))
        {
            using var gram = TorchSharp.torch.matmul(r, r.t()).to(TorchSharp.torch.ScalarType.Float64);
            using var identity = TorchSharp.torch.eye(r.shape[0], dtype: TorchSharp.torch.ScalarType.Float64);
            double error = (gram - identity).norm().item<double>();
            output.WriteLine($"{name}: ‖RRᵀ − I‖ = {error:E2}");
            Assert.InRange(error, 0, OrthonormalityTolerance);
        }
    }

    static Trainer.TokenizedExample TrainingTokens(Core.Tokenizers.ITokenizer tokenizer, Trainer.TrainingExample example) =>
        Trainer.TokenizedExample.Encode(tokenizer, example);

    /// <summary>Greedy tokens of the same model with the adapter detached, then re-attached.</summary>
    static List<int> GenerateWithout(TrainedAdapters.Run run, IReadOnlyList<int> prompt, int eos)
    {
        run.Method.Detach();
        try
        {
            using var plain = new TorchDecoderModel(run.Model);
            return TextGenerator.GenerateTokens(plain, prompt, MaxNewTokens, SamplingOptions.Greedy, eos).ToList();
        }
        finally { run.Method.Attach(run.Model); }
    }
}
