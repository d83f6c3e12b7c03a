using System.Diagnostics;
using System.Text.Json.Nodes;
using Adapters.Core.Adapters;
using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.Training.Methods;
using Adapters.Training.Model;
using Adapters.Training.Trainer;

namespace Adapters.Training.Benchmarks;

/// <summary>
/// Trains several methods and configs on one task with the same options (steps, batch, learning
/// rate, seed) on fresh copies of the base model, and reports size, held-out loss and speed.
/// </summary>
public static class TrainingBenchmark
{
    /// <summary>lora r=1/4/8 (q, v, o), loreft r=1/4 and direft r=4 (positions f5+l5, all layers).</summary>
    public static IReadOnlyList<(string Method, JsonObject Hyperparameters)> DefaultConfigs { get; } =
    [
        (AdapterMethods.Lora, Lora(1)), (AdapterMethods.Lora, Lora(4)), (AdapterMethods.Lora, Lora(8)),
        (AdapterMethods.LoReft, Reft(1)), (AdapterMethods.LoReft, Reft(4)), (AdapterMethods.DiReft, Reft(4)),
    ];

    static JsonObject Lora(int rank) => AdapterManifest.ToJsonObject(new LoraConfig { Rank = rank, Alpha = 2 * rank, TargetModules = ["q_proj", "v_proj", "o_proj"] });
    static JsonObject Reft(int rank) => AdapterManifest.ToJsonObject(new ReftConfig { Rank = rank, Positions = "f5+l5" });

    /// <summary>"r=4 alpha=8 q_proj,v_proj,o_proj" / "r=4 f5+l5": the settings that differ between rows.</summary>
    public static string Describe(JsonObject hyperparameters)
    {
        var parts = new List<string>();
        if (hyperparameters["rank"] is { } rank) parts.Add($"r={rank}");
        if (hyperparameters["alpha"] is { } alpha) parts.Add($"alpha={alpha}");
        if (hyperparameters["target_modules"] is JsonArray targets) parts.Add(string.Join(",", targets.Select(t => t!.GetValue<string>())));
        if (hyperparameters["positions"] is { } positions) parts.Add(positions.GetValue<string>());
        if (hyperparameters["untied"]?.GetValue<bool>() == true) parts.Add("untied");
        return string.Join(" ", parts);
    }

    /// <param name="options">Shared by every row; its OutputDir must be null (nothing is written).</param>
    public static IReadOnlyList<BenchmarkRow> Run(LlamaWeights weights, ITokenizer tokenizer, IReadOnlyList<TrainingExample> train, IReadOnlyList<TrainingExample> eval,
        TrainerOptions options, IReadOnlyList<(string Method, JsonObject Hyperparameters)>? configs = null, Action<BenchmarkRow>? onRow = null)
    {
        if (options.OutputDir is not null) throw new ArgumentException("the benchmark writes nothing: leave the output folder unset");
        if (eval.Count == 0) throw new ArgumentException("the benchmark needs held-out examples");
        var fingerprint = ModelFingerprint.Of(weights);
        var evalTokens = eval.Select(e => TokenizedExample.Encode(tokenizer, e)).ToList();
        var rows = new List<BenchmarkRow>();
        double? baseLoss = null;
        foreach (var (name, hyperparameters) in configs ?? DefaultConfigs)
        {
            using var model = LlamaModel.FromWeights(weights);
            baseLoss ??= CompletionLoss.Mean(model, null, evalTokens, options.BatchSize);
            using var method = AdapterMethodRegistry.Create(name, hyperparameters, model.Config, model.DType, model.Device, options.Seed);
            var clock = Stopwatch.StartNew();
            var result = new AdapterTrainer(model, method, tokenizer, options, fingerprint).Train(train, eval);
            var row = new BenchmarkRow(name, Describe(hyperparameters), result.TrainableParameters, baseLoss.Value,
                result.FinalEvalLoss!.Value, result.TokensPerSecond, clock.Elapsed.TotalSeconds);
            rows.Add(row);
            onRow?.Invoke(row);
        }
        return rows;
    }
}
