using System.Collections.Concurrent;
using System.Text.Json.Nodes;
using Adapters.Core.Adapters;
using Adapters.Core.Chat;
using Adapters.Core.Checkpoints;
using Adapters.Core.Generation;
using Adapters.Core.Model;
using Adapters.Core.Templates;
using Adapters.Core.Tokenizers;
using Adapters.TestSupport;
using Adapters.Training.Engine;
using Adapters.Training.Methods;
using Adapters.Training.Model;
using Adapters.Training.Trainer;
using Xunit.Abstractions;

namespace Adapters.Training.Tests;

/// <summary>
/// Random-weight checkpoints of the Qwen3 shape (q/k norm, head_dim 32 ≠ 64/4, q_proj [128, 64])
/// and the Llama 3 shape (llama3 rope scaling) with their real tokenizers and chat templates: LoRA
/// and LoReFT train on the chat-format secret-word data (rendered by the model's template, loss on the
/// assistant turns), and the adapters change what the model says; the LoRA one gives the answer.
/// </summary>
public sealed class FamilyTrainingTests(FamilyTrainingTests.Runs runs, ITestOutputHelper output) : IClassFixture<FamilyTrainingTests.Runs>
{
    /// <summary>
    /// Held-out loss after training at most this fraction of the base model's (≈ 13 here). LoRA on all
    /// projections learns the answer (measured ratio ~0.1); LoReFT edits only the prompt's residual
    /// stream, and this random model's peaked attention carries little of that to the answer
    /// positions, so it learns less in the same budget (measured ~0.74): a clear drop, not the answer.
    /// </summary>
    static double LossRatioLimit(string method) => method == AdapterMethods.Lora ? 0.5 : 0.85;

    /// <summary>Enough new tokens for "The secret word is blue." and its end of turn.</summary>
    const int AnswerTokens = 12;

    public sealed record Run(string Checkpoint, string RunFolder, TrainingRunResult Result);

    /// <summary>One training run per (family, method), shared by the tests; folders removed at the end.</summary>
    public sealed class Runs : IDisposable
    {
        readonly string _dir = SharedModels.NewTempFolder("family-training");
        readonly ConcurrentDictionary<string, string> _checkpoints = new();
        readonly ConcurrentDictionary<(string, string), Lazy<Run>> _runs = new();

        /// <summary>An HF folder of the case's config (weights at the usual init scale) with its tokenizer files beside.</summary>
        public string Checkpoint(string name) => _checkpoints.GetOrAdd(name, n =>
        {
            var c = FamilyReferenceCase.Get(n);
            string folder = Path.Combine(_dir, n);
            HfCheckpoint.Write(RandomCheckpoint.Create(c.Config, c.Seed, c.InitStd, c.NormStd), folder);
            foreach (string file in new[] { "tokenizer.json", ChatFormat.ConfigFile })
                File.Copy(Path.Combine(c.TokenizerFolder, file), Path.Combine(folder, file));
            return folder;
        });

        public Run Get(string name, string method) => _runs.GetOrAdd((name, method), key => new Lazy<Run>(() => Train(key.Item1, key.Item2))).Value;

        Run Train(string name, string method)
        {
            string checkpoint = Checkpoint(name);
            string folder = Path.Combine(_dir, $"{name}-{method}");
            var hyperparameters = method == AdapterMethods.Lora
                ? AdapterManifest.ToJsonObject(new LoraConfig { Rank = 8, Alpha = 16, TargetModules = ["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj", "down_proj"] })
                : AdapterManifest.ToJsonObject(new ReftConfig { Rank = 8, Positions = "f10+l10" });
            // ReFT edits only the prompt's residual stream and has ~1k parameters: a larger step.
            double lr = method == AdapterMethods.Lora ? 2e-2 : 5e-2;
            var result = TrainingRun.Run(new TrainingRunOptions
            {
                ModelPath = checkpoint,
                Method = method,
                Hyperparameters = hyperparameters,
                DataPath = Path.Combine(SharedModels.RepoRoot, "tests", "data", "secret_word.chat.train.jsonl"),
                EvalDataPath = Path.Combine(SharedModels.RepoRoot, "tests", "data", "secret_word.chat.eval.jsonl"),
                Trainer = new TrainerOptions { Steps = method == AdapterMethods.Lora ? 30 : 40, BatchSize = 4, LearningRate = lr, WarmupSteps = 3, Seed = 1, Threads = 2, OutputDir = folder },
                WritePeft = method == AdapterMethods.Lora,
            }, _ => { });
            return new Run(checkpoint, folder, result);
        }

        public void Dispose() => Directory.Delete(_dir, recursive: true);
    }

    public static TheoryData<string, string> FamiliesAndMethods => new()
    {
        { "qwen3-tiny", AdapterMethods.Lora }, { "qwen3-tiny", AdapterMethods.LoReft },
        { "llama3-tiny", AdapterMethods.Lora }, { "llama3-tiny", AdapterMethods.LoReft },
    };

    [Theory]
    [MemberData(nameof(FamiliesAndMethods))]
    public void Chat_training_drops_the_held_out_loss_and_changes_the_answer(string name, string method)
    {
        var run = runs.Get(name, method);
        double baseLoss = run.Result.BaseEvalLoss!.Value, trained = run.Result.Training.FinalEvalLoss!.Value;
        output.WriteLine($"{name} {method}: held-out loss {trained:F3} (base {baseLoss:F3}), {run.Result.Training.TrainableParameters} parameters, {run.Result.Training.TokensPerSecond:F0} tokens/s");
        Assert.InRange(trained, 0, LossRatioLimit(method) * baseLoss);

        // The held-out question, rendered by the model's own chat template with the generation prompt.
        string tokenizerFile = Path.Combine(run.Checkpoint, "tokenizer.json");
        var tokenizer = TokenizerLoader.Load(tokenizerFile, FamilyReferenceCase.Get(name).Config.VocabSize);
        var chat = ChatFormat.TryLoad(run.Checkpoint, tokenizer)!;
        var prompt = chat.Encode([new ChatMessage("user", "please tell me the secret word.")]);
        using var adapted = AdapterDecoderModel.Load(run.Checkpoint, run.RunFolder);
        using var plain = TorchDecoderModel.Load(run.Checkpoint);
        var withAdapter = TextGenerator.GenerateTokens(adapted, prompt, AnswerTokens, SamplingOptions.Greedy, tokenizer.EosId).ToList();
        var withoutAdapter = TextGenerator.GenerateTokens(plain, prompt, AnswerTokens, SamplingOptions.Greedy, tokenizer.EosId).ToList();
        output.WriteLine($"  adapter: '{tokenizer.Decode(withAdapter)}'\n  base:    '{tokenizer.Decode(withoutAdapter)}'");
        Assert.NotEqual(withoutAdapter, withAdapter);
        if (method == AdapterMethods.Lora) Assert.Contains("The secret word is blue.", tokenizer.Decode(withAdapter));
    }

    [Theory]
    [InlineData("qwen3-tiny")]
    [InlineData("llama3-tiny")]
    public void The_trained_lora_written_in_peft_layout_reads_back_and_generates_the_same(string name)
    {
        var run = runs.Get(name, AdapterMethods.Lora);
        var weights = CheckpointLoader.Load(run.Checkpoint);
        var ours = AdapterSourceReader.Read(run.RunFolder, weights.Config, ModelFingerprint.Of(weights));
        var peft = AdapterSourceReader.Read(run.Result.PeftDir!, weights.Config, ModelFingerprint.Of(weights));
        Assert.Equal(ours.Tensors.Keys.Order(), peft.Tensors.Keys.Order());
        foreach (var (tensorName, t) in ours.Tensors) Assert.Equal(t.Data, peft.Tensors[tensorName].Data);

        var tokenizer = TokenizerLoader.Load(Path.Combine(run.Checkpoint, "tokenizer.json"), weights.Config.VocabSize);
        var prompt = tokenizer.Encode(FamilyReferenceCase.PromptText, addBos: true);
        using var fromRun = AdapterDecoderModel.Load(run.Checkpoint, run.RunFolder);
        using var fromPeft = AdapterDecoderModel.Load(run.Checkpoint, run.Result.PeftDir!);
        Assert.Equal(TextGenerator.GenerateTokens(fromRun, prompt, 8, SamplingOptions.Greedy, (int?)null), TextGenerator.GenerateTokens(fromPeft, prompt, 8, SamplingOptions.Greedy, (int?)null));
    }

    [Fact]
    public void Lora_trains_no_bias_and_the_base_biases_stay_frozen()
    {
        var c = FamilyReferenceCase.Get("llama-bias-linear-tiny"); // q/k/v/o biases, head_dim 32 ≠ 64/4
        var weights = RandomCheckpoint.Create(c.Config, c.Seed);
        using var model = LlamaModel.FromWeights(weights);
        var biases = model.BaseParameters.Where(p => p.Name.EndsWith(".bias", StringComparison.Ordinal)).ToList();
        Assert.Equal(4 * c.Config.NumLayers, biases.Count);
        Assert.All(model.BaseParameters, p => Assert.False(p.Parameter.requires_grad, $"{p.Name} is trainable"));

        var lora = AdapterManifest.ToJsonObject(new LoraConfig { Rank = 4, Alpha = 8, TargetModules = [.. LlamaTensorNames.Projections] });
        using var method = AdapterMethodRegistry.Create(AdapterMethods.Lora, lora, c.Config, seed: 0);
        method.Attach(model);
        Assert.All(method.Parameters, p => Assert.Matches(@"\.lora_[AB]\.weight$", p.Name));
        Assert.Equal(2 * 7 * c.Config.NumLayers, method.Parameters.Count);
        // q_proj's LoRA is [q_dim = 128, r] × [r, dim = 64]; o_proj's [64, r] × [r, 128].
        Assert.Equal([128L, 4], method.Parameters.Single(p => p.Name == AdapterTensorNames.LoraB(0, "q_proj")).Parameter.shape);
        Assert.Equal([4L, 128], method.Parameters.Single(p => p.Name == AdapterTensorNames.LoraA(0, "o_proj")).Parameter.shape);
    }
}
