using System.Diagnostics;
using System.Text.Json.Nodes;
using Adapters.Core.Adapters;
using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.Training.Compression;
using Adapters.Training.Methods;
using Adapters.Training.Methods.Gmt;
using Adapters.Training.Model;
using Adapters.Training.Trainer;

namespace Adapters.Training.Benchmarks;

/// <summary>
/// Compares the research methods with LoRA and LoReFT on one task (same steps, batch and seed;
/// a learning rate per config, since full-weight deltas need far smaller steps than adapters that
/// start at zero), and SFSD's feature- and weight-space factorisations at equal ranks.
/// </summary>
public static class ResearchBenchmark
{
    /// <summary>Peak learning rate of adapters that start at zero (LoRA, ReFT, structured): as in the training tests.</summary>
    public const double AdapterLearningRate = 1e-2;

    /// <summary>Peak learning rate for fine-tuning whole projection weights (GMT, full fine-tuning).</summary>
    public const double FullWeightLearningRate = 1e-3;

    /// <summary>lora r=4, loreft r=4, circulant, toeplitz, kronecker, ldr r=2 (q, o), gmt k=0.1 / 0.4 and full fine-tuning (gmt k=0) of all projections.</summary>
    public static IReadOnlyList<(string Method, JsonObject Hyperparameters, double LearningRate)> DefaultConfigs { get; } =
    [
        (AdapterMethods.Lora, Json(new LoraConfig { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "o_proj"] }), AdapterLearningRate),
        (AdapterMethods.LoReft, Json(new ReftConfig { Rank = 4, Positions = "f5+l5" }), AdapterLearningRate),
        (AdapterMethods.Circulant, Json(new StructuredConfig()), AdapterLearningRate),
        (AdapterMethods.Toeplitz, Json(new StructuredConfig()), AdapterLearningRate),
        (AdapterMethods.Kronecker, Json(new StructuredConfig()), AdapterLearningRate),
        (AdapterMethods.Ldr, Json(new StructuredConfig { Rank = 2 }), AdapterLearningRate),
        (AdapterMethods.Gmt, Json(new GmtConfig { MaskRatio = 0.1 }), FullWeightLearningRate),
        (AdapterMethods.Gmt, Json(new GmtConfig { MaskRatio = 0.4 }), FullWeightLearningRate),
        (AdapterMethods.Gmt, Json(new GmtConfig { MaskRatio = 0 }), FullWeightLearningRate),
    ];

    static JsonObject Json<T>(T config) => AdapterManifest.ToJsonObject(config);

    /// <summary>The settings that differ between rows, e.g. "r=4 q_proj,o_proj" or "k=0.4 (full FT when 0)".</summary>
    public static string Describe(string method, JsonObject hyperparameters)
    {
        if (method == AdapterMethods.Gmt)
        {
            double k = hyperparameters["mask_ratio"]!.GetValue<double>();
            return k == 0 ? "k=0 (full fine-tuning)" : $"k={k}" + (hyperparameters["global_mask"]?.GetValue<bool>() == true ? " global" : "");
        }
        if (AdapterMethods.IsStructured(method) && method != AdapterMethods.Ldr)
            return string.Join(",", hyperparameters["target_modules"]!.AsArray().Select(t => t!.GetValue<string>()));
        return TrainingBenchmark.Describe(hyperparameters);
    }

    /// <param name="options">Shared by every row except its learning rate; its OutputDir must be null (nothing is written).</param>
    public static IReadOnlyList<ResearchBenchmarkRow> Run(LlamaWeights weights, ITokenizer tokenizer, IReadOnlyList<TrainingExample> train, IReadOnlyList<TrainingExample> eval,
        TrainerOptions options, IReadOnlyList<(string Method, JsonObject Hyperparameters, double LearningRate)>? configs = null, Action<ResearchBenchmarkRow>? onRow = null)
    {
        if (options.OutputDir is not null) throw new ArgumentException("the benchmark writes nothing: leave the output folder unset");
        if (eval.Count == 0) throw new ArgumentException("the benchmark needs held-out examples");
        var fingerprint = ModelFingerprint.Of(weights);
        var evalTokens = eval.Select(e => TokenizedExample.Encode(tokenizer, e)).ToList();
        var rows = new List<ResearchBenchmarkRow>();
        double? baseLoss = null;
        foreach (var (name, hyperparameters, learningRate) in configs ?? DefaultConfigs)
        {
            using var model = LlamaModel.FromWeights(weights);
            baseLoss ??= CompletionLoss.Mean(model, null, evalTokens, options.BatchSize);
            using var method = AdapterMethodRegistry.Create(name, hyperparameters, model.Config, model.DType, model.Device, options.Seed);
            var clock = Stopwatch.StartNew();
            var result = new AdapterTrainer(model, method, tokenizer, options with { LearningRate = learningRate }, fingerprint).Train(train, eval);
            long changed = method is GmtMethod gmt ? gmt.ChangedParameterCount() : result.TrainableParameters;
            var row = new ResearchBenchmarkRow(name, Describe(name, hyperparameters), learningRate, result.TrainableParameters, changed, baseLoss.Value,
                result.FinalEvalLoss!.Value, result.TokensPerSecond, clock.Elapsed.TotalSeconds);
            rows.Add(row);
            onRow?.Invoke(row);
        }
        return rows;
    }

    /// <summary>
    /// Feature- against weight-space SFSD at equal ranks: for each fraction f, every projection
    /// at rank max(1, ⌊f · k_max⌋) with k_max the weight-space break-even rank, so both store the
    /// same U and V (feature-space adds one bias vector per projection).
    /// </summary>
    public static IReadOnlyList<SfsdComparisonRow> CompareSfsd(LlamaWeights weights, IReadOnlyList<int> calibration, IReadOnlyList<int> heldOut,
        IReadOnlyList<double> rankFractions, int windowLength = 128, int? threads = null, Action<SfsdComparisonRow>? onRow = null)
    {
        var rows = new List<SfsdComparisonRow>();
        foreach (double f in rankFractions)
        {
            if (!(f > 0 && f <= 1)) throw new ArgumentException($"rank fraction must be in (0, 1], got {f}");
            foreach (var mode in new[] { SfsdMode.Feature, SfsdMode.Weight })
            {
                var result = SfsdCompressor.CompressAtRanks(weights, calibration, heldOut, mode,
                    (_, _, m, n) => Math.Max(1, (int)(f * SfsdCompressor.MaxUsefulRank(m, n, SfsdMode.Weight))), windowLength, threads);
                var row = new SfsdComparisonRow(f, mode, result.ProjectionParametersBefore, result.ProjectionParametersAfter, result.BasePerplexity, result.Perplexity);
                rows.Add(row);
                onRow?.Invoke(row);
            }
        }
        return rows;
    }
}
