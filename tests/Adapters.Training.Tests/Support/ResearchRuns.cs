using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Adapters.Core.Adapters;
using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.TestSupport;
using Adapters.Training.Methods;
using Adapters.Training.Model;
using Adapters.Training.Trainer;

namespace Adapters.Training.Tests.Support;

/// <summary>
/// Trains each research method once on the secret-word task on stories260K and shares the result
/// between the tests of a class (like <see cref="TrainedAdapters"/>, with a learning rate per
/// method: full-weight deltas (GMT) need a far smaller step than zero-initialised adapters).
/// </summary>
public sealed class ResearchRuns : IDisposable
{
    public const int Steps = 40;
    public const int Seed = 3;

    /// <summary>Method name → hyperparameters and peak learning rate (measured to learn within <see cref="Steps"/>).</summary>
    public static readonly IReadOnlyDictionary<string, (JsonObject Hyperparameters, double LearningRate)> Configs =
        new Dictionary<string, (JsonObject, double)>
        {
            [AdapterMethods.Circulant] = (AdapterManifest.ToJsonObject(new StructuredConfig()), 1e-2),
            [AdapterMethods.Toeplitz] = (AdapterManifest.ToJsonObject(new StructuredConfig { TargetModules = ["q_proj", "v_proj", "o_proj"] }), 1e-2),
            [AdapterMethods.Kronecker] = (AdapterManifest.ToJsonObject(new StructuredConfig { TargetModules = ["q_proj", "v_proj", "o_proj"] }), 1e-2),
            [AdapterMethods.Ldr] = (AdapterManifest.ToJsonObject(new StructuredConfig { Rank = 2 }), 1e-2),
            [AdapterMethods.Gmt] = (AdapterManifest.ToJsonObject(new GmtConfig { MaskRatio = 0.4 }), 1e-3),
            [AdapterMethods.Tarp] = (AdapterManifest.ToJsonObject(new TarpConfig { Rank = 4, TargetModules = ["q_proj", "v_proj", "o_proj"] }), 1e-2),
            [AdapterMethods.TarpStatic] = (AdapterManifest.ToJsonObject(new TarpConfig { Rank = 4, TargetModules = ["q_proj", "v_proj", "o_proj"] }), 1e-2),
        };

    readonly ConcurrentDictionary<string, Lazy<TrainedAdapters.Run>> _runs = new();

    public TrainedAdapters.Run Get(string method) => _runs.GetOrAdd(method, m => new Lazy<TrainedAdapters.Run>(() => Train(m))).Value;

    static TrainedAdapters.Run Train(string name)
    {
        var (hyperparameters, learningRate) = Configs[name];
        var weights = TestModels.Stories260K();
        var tokenizer = TokenizerLoader.Load(SharedModels.Tok512, 512);
        var (train, eval) = TaskData.SecretWord();
        var model = LlamaModel.FromWeights(weights);
        double baseLoss = CompletionLoss.Mean(model, null, eval.Select(e => TokenizedExample.Encode(tokenizer, e)).ToList(), batchSize: 8);
        var method = AdapterMethodRegistry.Create(name, hyperparameters, model.Config, seed: Seed);
        var options = new TrainerOptions { Steps = Steps, LearningRate = learningRate, BatchSize = 8, WarmupSteps = 4, Seed = Seed, Threads = 2 };
        var result = new AdapterTrainer(model, method, tokenizer, options, ModelFingerprint.Of(weights)).Train(train, eval);
        return new TrainedAdapters.Run(weights, model, method, baseLoss, result);
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
