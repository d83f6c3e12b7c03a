using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json.Nodes;
using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Exported;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.Export.AdapterExport;
using Adapters.Runtime;
using Adapters.Runtime.Serving;
using Adapters.TestSupport;
using Adapters.Training.Engine;
using Adapters.Training.Methods;
using Adapters.Training.Model;
using Adapters.Training.Trainer;
using Xunit.Abstractions;

namespace Adapters.Integration.Tests.AdapterExport;

/// <summary>
/// Every method of <see cref="AdapterMethods.All"/> on every tiny family shape (<see cref="TinyFamilies"/>):
/// Llama 3 (llama3 rope scaling whose bands fall inside the positions used), Llama with q/k/v/o
/// biases, Mistral (untied classifier, one kv head), Qwen2 (q/k/v biases), Qwen3 (q/k norm; head_dim
/// 16 ≠ 48/4, no square projection) and Qwen3 in Qwen3-0.6B's proportions (head_dim 32 ≠ 64/4: q_proj
/// [128, 64], o_proj [64, 128], k/v square). Each (family, method) trains briefly from the family's
/// HF folder (<see cref="TrainingRun"/>, tok512 and the secret-word data) and must: keep every base
/// weight (biases and q/k norms included) frozen and out of its trainable parameters; lower the
/// held-out loss below 0.9 × the base model's; export in the modes its method supports (fused for
/// weight-delta methods, swappable for LoRA and ReFT; LoRA both) and give ONNX Runtime TorchSharp's
/// logits (≤ 1e-4 over a prefill and decode steps) and greedy tokens, which differ from the base
/// model's. A method of <see cref="AdapterMethods.NotExportable"/> is refused in every mode with its
/// reason (and still changes TorchSharp's tokens); circulant and ldr with their default targets
/// (q_proj, o_proj) are refused where those are not square, naming the square projections the model
/// has, and on a shape with none the training run is refused before it starts. ~30 s for the 60 cases on 2 cores.
/// </summary>
public sealed class EveryMethodOnEveryFamilyTests(EveryMethodOnEveryFamilyTests.Checkpoints checkpoints, ITestOutputHelper output)
    : IClassFixture<EveryMethodOnEveryFamilyTests.Checkpoints>
{
    static readonly OnnxRuntimeOptions Quiet = new() { IntraOpThreads = 2, Log = _ => { } };
    static readonly LlamaExportOptions ExportModel = new() { IntraOpThreads = 2 };

    /// <summary>Qwen3 in Qwen3-0.6B's proportions: head_dim 2·dim/heads, so q_proj is [128, 64] and k/v are square.</summary>
    public const string Qwen3KvSquare = "qwen3-kv-square";

    /// <summary>
    /// Every tiny family (<see cref="TinyFamilies"/>) plus <see cref="Qwen3KvSquare"/>, at vocab 512 so
    /// that tok512 (and <see cref="LogitComparison.Prompt"/>) fits. The stock Qwen3 tiny (dim 48,
    /// head_dim 16) has no square projection at all, so there circulant and ldr must be refused.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, LlamaConfig> Families =
        TinyFamilies.Names.ToDictionary(n => n, n => TinyFamilies.Config(n) with { VocabSize = 512 })
            .Append(new(Qwen3KvSquare, TinyFamilies.Config(TinyFamilies.Qwen3) with { Dim = 64, HeadDim = 32, VocabSize = 512 }))
            .ToDictionary();

    public static TheoryData<string, string> Cases
    {
        get
        {
            var cases = new TheoryData<string, string>();
            foreach (string family in Families.Keys)
                foreach (string method in AdapterMethods.All) cases.Add(family, method);
            return cases;
        }
    }

    /// <summary>Each family's random-weight HF folder (written once per class) and the weights read back from it.</summary>
    public sealed class Checkpoints : IDisposable
    {
        readonly ConcurrentDictionary<string, Lazy<(string Folder, LlamaWeights Weights)>> _folders = new();

        public string Root { get; } = SharedModels.NewTempFolder("every-method-family");

        public (string Folder, LlamaWeights Weights) Get(string family) => _folders.GetOrAdd(family, f => new(() =>
        {
            string folder = Path.Combine(Root, f);
            HfCheckpoint.Write(TinyFamilies.Weights(Families[f]), folder);
            return (folder, CheckpointLoader.Load(folder));
        })).Value;

        public void Dispose()
        {
            try { Directory.Delete(Root, recursive: true); } catch (IOException) { }
        }
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Trains_keeps_the_base_frozen_and_exports_with_torchs_output(string family, string method)
    {
        var clock = Stopwatch.StartNew();
        var (checkpoint, weights) = checkpoints.Get(family);
        var config = weights.Config;
        var (hyperparameters, learningRate) = MethodConfig(method, config);
        string run = Path.Combine(checkpoints.Root, $"{family}-{method}");
        string data = Path.Combine(SharedModels.RepoRoot, "tests", "data");
        var options = new TrainingRunOptions
        {
            ModelPath = checkpoint,
            TokenizerPath = SharedModels.Tok512,
            Method = method,
            Hyperparameters = hyperparameters,
            DataPath = Path.Combine(data, "secret_word.train.jsonl"),
            EvalDataPath = Path.Combine(data, "secret_word.eval.jsonl"),
            Trainer = new TrainerOptions { Steps = Steps, BatchSize = 8, LearningRate = learningRate, WarmupSteps = 2, Seed = 1, Threads = 2, OutputDir = run },
        };
        var square = StructuredConfig.SquareProjections(config);
        if (NeedsSquare(method) && LlamaTensorNames.ProjectionShape(config, "q_proj") is var (qOut, qIn) && qOut != qIn)
        {
            // The default targets (q_proj, o_proj) are not square where head_dim ≠ dim / heads: refused
            // naming q_proj's shape and the square projections this model has, if any.
            string expected = $"{method} needs a square projection, but {LlamaTensorNames.ProjectionModule(0, "q_proj")} [{qOut}, {qIn}] has out {qOut} ≠ in {qIn}; "
                + (square.Count > 0 ? $"target the square {string.Join(", ", square)} of this model, or use toeplitz or kronecker for non-square layers"
                    : "this model has no square projection: use toeplitz or kronecker");
            Assert.Equal(expected, Assert.Throws<ArgumentException>(() => new StructuredConfig().Validate(method, config)).Message);
            if (square.Count == 0)
            {
                // Nothing to train here (stock Qwen3 tiny): the run is refused before it starts.
                Assert.Equal(expected, Assert.Throws<ArgumentException>(() => TrainingRun.Run(options, _ => { })).Message);
                Assert.False(Directory.Exists(run));
                output.WriteLine($"{family} {method}: refused ({expected})");
                return;
            }
        }
        AssertBaseStaysFrozen(weights, method, hyperparameters);
        var result = TrainingRun.Run(options, _ => { });
        double baseLoss = result.BaseEvalLoss!.Value, trained = result.Training.FinalEvalLoss!.Value;
        Assert.True(trained < LossRatioLimit * baseLoss, $"{family} {method}: held-out loss {trained:F3} is not below {LossRatioLimit} × the base model's {baseLoss:F3}");

        var source = new AdapterSource(method, AdapterSourceReader.Read(run, config, ModelFingerprint.Of(weights)));
        using var torch = AdapterDecoderModel.Load(checkpoint, run);
        using var plain = TorchDecoderModel.FromWeights(weights);
        var baseGreedy = LogitComparison.Greedy(plain);

        var modes = new List<AdapterExportMode>();
        if (AdapterMethods.NotExportable.TryGetValue(method, out string? why))
        {
            foreach (var mode in new[] { AdapterExportMode.Fused, AdapterExportMode.Swappable, AdapterExportMode.Batched })
            {
                string refused = Path.Combine(checkpoints.Root, $"{family}-{method}-{mode}");
                var error = Assert.Throws<ArgumentException>(() => AdapterExporter.Export(weights, [source], refused, new AdapterExportOptions { Mode = mode, Model = ExportModel }));
                Assert.Equal($"a {method} adapter cannot be exported: {why}", error.Message);
                Assert.False(Directory.Exists(refused));
            }
            // Served by TorchSharp only: it still changes what the model says.
            Assert.NotEqual(baseGreedy, LogitComparison.Greedy(torch));
        }
        else
        {
            if (AdapterMethods.IsFoldable(method)) modes.Add(AdapterExportMode.Fused);
            if (method == AdapterMethods.Lora || AdapterMethods.IsReft(method)) modes.Add(AdapterExportMode.Swappable);
            Assert.NotEmpty(modes);
        }

        foreach (var mode in modes)
        {
            string folder = Path.Combine(checkpoints.Root, $"{family}-{method}-{mode}");
            AdapterExporter.Export(weights, [source], folder, new AdapterExportOptions { Mode = mode, Model = ExportModel });
            using var onnx = OnnxDecoderModel.Load(folder, Quiet);
            if (mode == AdapterExportMode.Fused)
                AssertParityAndChange(torch, onnx, plain, baseGreedy, $"{family} {method} {mode}");
            else
            {
                var registry = AdapterRegistry.WithExportedAdapters(onnx.Exported);
                using var adapted = new OnnxAdapterModel(onnx, registry, method);
                using var baseOnly = new OnnxAdapterModel(onnx, registry, adapterName: null);
                AssertParityAndChange(torch, adapted, baseOnly, baseGreedy, $"{family} {method} {mode}");
            }
        }
        output.WriteLine($"{family} {method}: held-out loss {trained:F3} (base {baseLoss:F3}), {result.Training.TrainableParameters} parameters, "
            + $"exported {(modes.Count == 0 ? "nowhere (refused)" : string.Join(" + ", modes))}, {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>A brief run: enough for every method to move the held-out loss and the greedy tokens.</summary>
    const int Steps = 16;

    /// <summary>The trained held-out loss must be below this fraction of the base model's.</summary>
    const double LossRatioLimit = 0.9;

    /// <summary>
    /// Hyperparameters for <paramref name="config"/>'s shapes and a learning rate per method. Circulant
    /// and ldr take the square projections of the family (q/o at head_dim = dim/heads, k/v on
    /// <see cref="Qwen3KvSquare"/>); the others include non-square and biased projections.
    /// </summary>
    static (JsonObject Hyperparameters, double LearningRate) MethodConfig(string method, LlamaConfig config)
    {
        var square = StructuredConfig.SquareProjections(config) is { Count: > 0 } found ? found : ["q_proj", "o_proj"]; // none: the default, to be refused
        string[] attention = ["q_proj", "k_proj", "v_proj", "o_proj"];
        return method switch
        {
            AdapterMethods.Lora => (AdapterManifest.ToJsonObject(new LoraConfig { Rank = 4, Alpha = 8, TargetModules = [.. LlamaTensorNames.Projections] }), 1e-2),
            AdapterMethods.LoReft or AdapterMethods.DiReft =>
                (AdapterManifest.ToJsonObject(new ReftConfig { Rank = 4, Positions = "f3+l3", Untied = method == AdapterMethods.DiReft }), 5e-2),
            AdapterMethods.Gmt => (AdapterManifest.ToJsonObject(new GmtConfig { TargetModules = attention, MaskRatio = 0.4 }), 1e-3),
            AdapterMethods.Circulant => (AdapterManifest.ToJsonObject(new StructuredConfig { TargetModules = square }), 1e-2),
            AdapterMethods.Ldr => (AdapterManifest.ToJsonObject(new StructuredConfig { Rank = 2, TargetModules = square }), 1e-2),
            AdapterMethods.Toeplitz or AdapterMethods.Kronecker =>
                (AdapterManifest.ToJsonObject(new StructuredConfig { TargetModules = ["q_proj", "k_proj", "o_proj", "down_proj"] }), method == AdapterMethods.Kronecker ? 3e-2 : 1e-2),
            AdapterMethods.Tarp or AdapterMethods.TarpStatic =>
                (AdapterManifest.ToJsonObject(new TarpConfig { Rank = 4, TargetModules = ["q_proj", "v_proj", "o_proj"] }), 3e-2),
            _ => throw new ArgumentException($"no test configuration for method '{method}': add one here"),
        };
    }

    static bool NeedsSquare(string method) => method is AdapterMethods.Circulant or AdapterMethods.Ldr;

    /// <summary>
    /// Attached, the method leaves every base weight (projection biases, q/k norms included) frozen,
    /// and none of its trainable tensors is a base weight.
    /// </summary>
    static void AssertBaseStaysFrozen(LlamaWeights weights, string method, JsonObject hyperparameters)
    {
        using var model = LlamaModel.FromWeights(weights);
        using var adapter = AdapterMethodRegistry.Create(method, hyperparameters, weights.Config, seed: 1);
        adapter.Attach(model);
        var baseNames = model.BaseParameters.Select(p => p.Name).ToHashSet();
        if (weights.Config.QkvBias) Assert.Contains(baseNames, n => n.EndsWith(".q_proj.bias", StringComparison.Ordinal));
        Assert.All(model.BaseParameters, p => Assert.False(p.Parameter.requires_grad, $"{method}: base weight {p.Name} is trainable"));
        Assert.NotEmpty(adapter.Parameters);
        Assert.All(adapter.Parameters, p =>
        {
            Assert.DoesNotContain(p.Name, baseNames);
            Assert.False(p.Name.EndsWith("_proj.bias", StringComparison.Ordinal), $"{method} trains a projection bias: {p.Name}");
            Assert.True(p.Parameter.requires_grad, $"{method}: {p.Name} is not trainable");
        });
    }

    static void AssertParityAndChange(Core.Generation.IDecoderModel torch, Core.Generation.IDecoderModel onnx, Core.Generation.IDecoderModel plain,
        List<int> baseGreedy, string what)
    {
        LogitComparison.AssertParity(torch, onnx, plain);
        Assert.True(!baseGreedy.SequenceEqual(LogitComparison.Greedy(onnx)), $"{what}: ONNX Runtime's greedy tokens are the base model's");
    }
}
