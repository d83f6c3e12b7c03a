using System.CommandLine;
using Adapters.Training.Trainer;

namespace Adapters.Cli.Commands;

/// <summary>`adapters train`: trains one adapter on JSONL data; the adapter lands in OUT/adapter.</summary>
public static class TrainCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CommonOptions.Model("checkpoint file (.bin) or Hugging Face folder");
        var tokenizer = CommonOptions.Tokenizer();
        var adapter = new AdapterOptions();
        var data = new Option<string>("--data") { Description = "JSONL training data: one {\"prompt\": ..., \"completion\": ...} per line", Required = true };
        var evalData = new Option<string?>("--eval-data") { Description = "held-out JSONL (default: --eval-fraction of --data)" };
        var evalFraction = new Option<double>("--eval-fraction") { Description = "fraction of --data held out when --eval-data is not given", DefaultValueFactory = _ => 0.1 };
        var output = new Option<string>("--out") { Description = "run folder: OUT/adapter (final adapter), OUT/checkpoint (for --resume)", Required = true };
        var steps = new Option<int>("--steps") { Description = "optimizer steps", DefaultValueFactory = _ => 80 };
        var batch = new Option<int>("--batch-size") { Description = "examples per micro-batch", DefaultValueFactory = _ => 8 };
        var accum = new Option<int>("--grad-accum") { Description = "micro-batches per optimizer step", DefaultValueFactory = _ => 1 };
        var lr = new Option<double>("--lr") { Description = "peak learning rate, warmup then cosine decay (1e-2 suits the tiny default model; 1e-3..4e-3 larger ones)", DefaultValueFactory = _ => 1e-2 };
        var warmup = new Option<int>("--warmup") { Description = "warmup steps", DefaultValueFactory = _ => 10 };
        var evalEvery = new Option<int>("--eval-every") { Description = "held-out loss every N steps (0: at the end only)", DefaultValueFactory = _ => 20 };
        var checkpointEvery = new Option<int>("--checkpoint-every") { Description = "checkpoint every N steps (0: none)", DefaultValueFactory = _ => 10 };
        var seed = new Option<int>("--seed") { Description = "seed for initialisation, data order and dropout", DefaultValueFactory = _ => 0 };
        var resume = new Option<bool>("--resume") { Description = "continue from OUT/checkpoint" };
        var peft = new Option<bool>("--peft") { Description = "LoRA only: also write OUT/peft in Hugging Face PEFT layout" };
        var threads = CommonOptions.Threads();
        var command = new Command("train", "Train an adapter (base weights frozen) on prompt/completion data.")
        {
            model, tokenizer, data, evalData, evalFraction, output, steps, batch, accum, lr, warmup, evalEvery, checkpointEvery, seed, resume, peft, threads,
        };
        foreach (var option in adapter.All) command.Add(option);
        command.SetAction(parse => console.Guard(() =>
        {
            if (parse.GetValue(evalData) is not null && parse.IsGiven(evalFraction))
                throw new ArgumentException("--eval-fraction holds out part of --data when --eval-data is not given; with --eval-data it would be ignored");
            int stepCount = parse.GetValue(steps);
            var run = new TrainingRunOptions
            {
                ModelPath = parse.GetValue(model)!,
                TokenizerPath = parse.GetValue(tokenizer),
                Method = parse.GetValue(adapter.Method)!,
                Hyperparameters = adapter.Hyperparameters(parse),
                DataPath = parse.GetValue(data)!,
                EvalDataPath = parse.GetValue(evalData),
                EvalFraction = parse.GetValue(evalFraction),
                WritePeft = parse.GetValue(peft),
                Trainer = new TrainerOptions
                {
                    Steps = stepCount, BatchSize = parse.GetValue(batch), GradAccum = parse.GetValue(accum),
                    LearningRate = parse.GetValue(lr), WarmupSteps = Math.Min(parse.GetValue(warmup), stepCount),
                    EvalEvery = parse.GetValue(evalEvery), CheckpointEvery = parse.GetValue(checkpointEvery), Seed = parse.GetValue(seed),
                    OutputDir = parse.GetValue(output)!, Resume = parse.GetValue(resume), Threads = parse.GetValue(threads),
                },
            };
            Print(console, Run(console, run));
            return 0;
        }));
        return command;
    }

    /// <summary>Runs the training with progress on stderr (what `train` and `pipeline` share).</summary>
    public static TrainingRunResult Run(CliConsole console, TrainingRunOptions run) =>
        new ProgressReporter(console).Run("train", run.Trainer.Steps, report =>
            TrainingRun.Run(run, console.Info, p => report(p.Step,
                $"loss {p.Loss:F4}" + (p.EvalLoss is { } e ? $" eval {e:F4}" : "") + $" lr {p.LearningRate:E1} {p.TokensPerSecond:F0} tok/s")));

    static void Print(CliConsole console, TrainingRunResult run)
    {
        var result = run.Training;
        if (result.ResumedFromStep > 0) console.Out.WriteLine($"resumed from step {result.ResumedFromStep}");
        console.Out.WriteLine($"adapter: {result.AdapterDir}");
        console.Out.WriteLine($"steps: {result.Steps}, final training loss {result.FinalLoss:F4}, {result.TokensPerSecond:F0} tokens/s");
        if (result.FinalEvalLoss is { } evalLoss) console.Out.WriteLine($"held-out loss: {evalLoss:F4} (base model {run.BaseEvalLoss:F4})");
    }
}
