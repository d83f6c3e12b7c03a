using Adapters.TestSupport;
using Adapters.Core.Tokenizers;
using System.Collections.Concurrent;
using Adapters.Core.Adapters;
using Adapters.Core.Model;
using Adapters.Training.Methods;
using Adapters.Training.Model;
using Adapters.Training.Trainer;

namespace Adapters.Training.Tests.Support;

/// <summary>
/// Trains each method once on the secret-word task on stories260K (a few seconds each) and
/// shares the result between the tests of a class. Disposed by xunit after the class.
/// </summary>
public sealed class TrainedAdapters : IDisposable
{
    /// <summary>Enough for every method to answer reliably; measured ~1 s per method on 2 cores.</summary>
    public const int Steps = 80;
    public const double LearningRate = 1e-2;
    public const int Seed = 3;

    readonly ConcurrentDictionary<string, Lazy<Run>> _runs = new();

    public sealed record Run(LlamaWeights Weights, LlamaModel Model, IAdapterMethod Method, double BaseEvalLoss, TrainingResult Result);

    public static IAdapterMethod NewMethod(string name, LlamaConfig model, int seed = Seed) => name switch
    {
        AdapterMethods.Lora => AdapterMethodRegistry.Create(name, new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "v_proj", "o_proj"] }, model, seed: seed),
        _ => AdapterMethodRegistry.Create(name, new ReftConfig { Rank = 4, Positions = "f5+l5" }, model, seed: seed),
    };

    public static TrainerOptions Options => new() { Steps = Steps, LearningRate = LearningRate, BatchSize = 8, WarmupSteps = 5, Seed = Seed, Threads = 2 };

    public Run Get(string method) => _runs.GetOrAdd(method, m => new Lazy<Run>(() => Train(m))).Value;

    static Run Train(string name)
    {
        var weights = TestModels.Stories260K();
        var tokenizer = TokenizerLoader.Load(SharedModels.Tok512, 512);
        var (train, eval) = TaskData.SecretWord();
        var model = LlamaModel.FromWeights(weights);
        double baseLoss = CompletionLoss.Mean(model, null, eval.Select(e => TokenizedExample.Encode(tokenizer, e)).ToList(), batchSize: 8);
        var method = NewMethod(name, model.Config);
        var trainer = new AdapterTrainer(model, method, tokenizer, Options, ModelFingerprint.Of(weights));
        var result = trainer.Train(train, eval);
        return new Run(weights, model, method, baseLoss, result);
    }

    public void Dispose()
    {
        foreach (var lazy in _runs.Values)
            if (lazy.IsValueCreated)
            {
                lazy.Value.Method.Dispose();
                lazy.Value.Model.Dispose();
            }
    }
}
