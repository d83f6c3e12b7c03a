using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.Core.Chat;
using Adapters.Core.Tokenizers;
using Adapters.Training.Benchmarks;
using Adapters.Training.Methods;
using Adapters.Training.Methods.Lora;
using Adapters.Training.Model;

namespace Adapters.Training.Trainer;

/// <summary>
/// A whole training run as one call (what `adapters train` and `adapters pipeline` do): load the
/// checkpoint, tokenizer and data, measure the base model's held-out loss, create the method,
/// train it into the run folder, and optionally write a PEFT copy.
/// </summary>
public static class TrainingRun
{
    /// <summary>Subfolder of the run folder that <see cref="TrainingRunOptions.WritePeft"/> writes.</summary>
    public const string PeftSubfolder = "peft";

    /// <param name="log">One line on the setup (method, trainable parameters, example counts).</param>
    /// <param name="progress">After every optimizer step.</param>
    public static TrainingRunResult Run(TrainingRunOptions options, Action<string> log, Action<TrainingProgress>? progress = null)
    {
        var trainer = options.Trainer.Validate();
        if (trainer.OutputDir is null) throw new ArgumentException("a training run needs an output folder");
        if (options.WritePeft && options.Method != AdapterMethods.Lora)
            throw new ArgumentException($"--peft applies to LoRA adapters only, not {options.Method}");
        var weights = CheckpointLoader.Load(options.ModelPath);
        var config = weights.Config;
        string tokenizerFile = TokenizerLoader.ResolveFile(options.TokenizerPath ?? TokenizerLocator.FindBeside(options.ModelPath, config.VocabSize));
        var tokenizer = TokenizerLoader.Load(tokenizerFile, config.VocabSize);
        // Conversational data is rendered with the chat template of the tokenizer's folder (its tokenizer_config.json).
        var chat = ChatFormat.TryLoad(Path.GetDirectoryName(Path.GetFullPath(tokenizerFile))!, tokenizer);
        _ = AdapterSchemas.ExpectedTensors(options.Method, options.Hyperparameters, config).ToList(); // refuses a config this model cannot hold, naming the value
        var (train, eval) = LoadData(options.DataPath, options.EvalDataPath, options.EvalFraction, trainer.Seed, chat, log);

        using var model = LlamaModel.FromWeights(weights);
        double? baseLoss = eval.Count > 0
            ? CompletionLoss.Mean(model, null, eval.Select(e => TokenizedExample.Encode(tokenizer, e)).ToList(), trainer.BatchSize)
            : null;
        using var method = AdapterMethodRegistry.Create(options.Method, options.Hyperparameters, config, seed: trainer.Seed);
        var adapterTrainer = new AdapterTrainer(model, method, tokenizer, trainer, ModelFingerprint.Of(weights));
        long total = config.ParameterCount();
        log($"train: {options.Method} {TrainingBenchmark.Describe(options.Hyperparameters)}, {adapterTrainer.TrainableParameterCount:N0} trainable parameters "
            + $"({100.0 * adapterTrainer.TrainableParameterCount / total:F2}% of {total:N0}), {train.Count} training / {eval.Count} held-out examples");

        if (trainer.Resume)
            log(TrainingCheckpoint.StepOf(adapterTrainer.CheckpointDir!) is { } step
                ? $"train: resuming from step {step} of {trainer.Steps} ({adapterTrainer.CheckpointDir})"
                : $"train: --resume: no checkpoint in {adapterTrainer.CheckpointDir}; starting from step 0");
        var result = adapterTrainer.Train(train, eval, progress);
        string? peftDir = null;
        if (options.WritePeft)
        {
            peftDir = Path.Combine(trainer.OutputDir, PeftSubfolder);
            AdapterStore.SavePeft(peftDir, (LoraMethod)method, config, options.ModelPath);
        }
        return new TrainingRunResult(result, baseLoss, peftDir);
    }

    /// <summary>Training examples and held-out examples (a separate file, or a seeded split).</summary>
    /// <param name="chat">Renders conversational lines ({"messages": [...]}); null refuses them.</param>
    public static (IReadOnlyList<TrainingExample> Train, IReadOnlyList<TrainingExample> Eval) LoadData(string data, string? evalData, double evalFraction, int seed,
        ChatFormat? chat = null, Action<string>? log = null)
    {
        IReadOnlyList<TrainingExample> Load(string path)
        {
            var examples = TrainingData.Load(path, chat, out int lastTurnOnly);
            if (lastTurnOnly > 0)
                log?.Invoke($"train: {path}: {lastTurnOnly} conversation(s) train their last assistant turn only (the template renders earlier turns differently once later ones follow)");
            return examples;
        }
        var examples = Load(data);
        return evalData is not null ? (examples, Load(evalData)) : TrainingData.Split(examples, evalFraction, seed);
    }
}
