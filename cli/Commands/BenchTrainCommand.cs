using System.CommandLine;
using Adapters.Core.Checkpoints;
using Adapters.Core.Tokenizers;
using Adapters.Training.Benchmarks;
using Adapters.Training.Trainer;

namespace Adapters.Cli.Commands;

/// <summary>
/// `adapters bench-train`: trains several adapter methods on the same task with the same step
/// budget and prints one markdown table (parameters, held-out loss, tokens/s). Suites: `adapters`
/// (LoRA r=1/4/8, LoReFT r=1/4, DiReFT r=4) and `research` (LoRA r=4, LoReFT r=4, circulant,
/// toeplitz, kronecker, ldr r=2, GMT mask 0.1/0.4, full fine-tuning).
/// </summary>
public static class BenchTrainCommand
{
    public static Command Create(CliConsole console)
    {
        var model = new Option<string>("--model") { Description = "checkpoint", DefaultValueFactory = _ => PipelineCommand.DefaultModel };
        var tokenizer = CommonOptions.Tokenizer();
        var data = new Option<string>("--data") { Description = "training JSONL", DefaultValueFactory = _ => "tests/data/color_recall.train.jsonl" };
        var evalData = new Option<string?>("--eval-data") { Description = "held-out JSONL", DefaultValueFactory = _ => "tests/data/color_recall.eval.jsonl" };
        var steps = new Option<int>("--steps") { Description = "optimizer steps per method", DefaultValueFactory = _ => 40 };
        var batch = new Option<int>("--batch-size") { DefaultValueFactory = _ => 8 };
        var lr = new Option<double>("--lr") { DefaultValueFactory = _ => 1e-2 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0 };
        var threads = CommonOptions.Threads();
        var suite = new Option<string>("--suite") { Description = "adapters (LoRA vs ReFT) or research (structured, GMT, full fine-tuning)", DefaultValueFactory = _ => "adapters" };
        suite.AcceptOnlyFromAmong("adapters", "research");
        var command = new Command("bench-train", "Compare adapter methods on one task and step budget.") { model, tokenizer, data, evalData, steps, batch, lr, seed, threads, suite };
        command.SetAction(parse => console.Guard(() =>
        {
            string modelPath = parse.GetValue(model)!;
            var weights = CheckpointLoader.Load(modelPath);
            var tok = TokenizerLoader.Load(parse.GetValue(tokenizer) ?? TokenizerLocator.FindBeside(modelPath, weights.Config.VocabSize), weights.Config.VocabSize);
            var (train, eval) = TrainingRun.LoadData(parse.GetValue(data)!, parse.GetValue(evalData), 0.2, parse.GetValue(seed));
            var options = new TrainerOptions
            {
                Steps = parse.GetValue(steps), BatchSize = parse.GetValue(batch), LearningRate = parse.GetValue(lr),
                WarmupSteps = Math.Min(5, parse.GetValue(steps)), Seed = parse.GetValue(seed), Threads = parse.GetValue(threads),
            };
            if (parse.GetValue(suite) == "research")
            {
                PrintResearch(console, weights, tok, train, eval, options);
                return 0;
            }
            var configs = TrainingBenchmark.DefaultConfigs;
            var rows = new ProgressReporter(console).Run("bench-train", configs.Count, report =>
            {
                int done = 0;
                return TrainingBenchmark.Run(weights, tok, train, eval, options, configs, row => report(++done, $"{row.Method} {row.Config}: {row.FinalEvalLoss:F3}"));
            });

            long loraR8 = rows.FirstOrDefault(r => r.Method == "lora" && r.Config.StartsWith("r=8 "))?.TrainableParameters ?? rows.Max(r => r.TrainableParameters);
            console.Out.WriteLine($"task: {parse.GetValue(data)} ({train.Count} train / {eval.Count} held-out), {options.Steps} steps, batch {options.BatchSize}, lr {options.LearningRate}, seed {options.Seed}");
            console.Out.WriteLine($"base model held-out loss: {rows[0].BaseEvalLoss:F4}");
            console.Out.WriteLine();
            console.Out.WriteLine("| method | config | trainable params | params / LoRA r=8 | held-out loss | loss / base | tokens/s | seconds |");
            console.Out.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
            foreach (var r in rows)
                console.Out.WriteLine($"| {r.Method} | {r.Config} | {r.TrainableParameters:N0} | {(double)r.TrainableParameters / loraR8:F3} | {r.FinalEvalLoss:F4} | {r.FinalEvalLoss / r.BaseEvalLoss:F3} | {r.TokensPerSecond:F0} | {r.Seconds:F1} |");
            return 0;
        }));
        return command;
    }

    static void PrintResearch(CliConsole console, Core.Model.LlamaWeights weights, Core.Tokenizers.ITokenizer tok,
        IReadOnlyList<TrainingExample> train, IReadOnlyList<TrainingExample> eval, TrainerOptions options)
    {
        var configs = ResearchBenchmark.DefaultConfigs;
        var rows = new ProgressReporter(console).Run("bench-train", configs.Count, report =>
        {
            int done = 0;
            return ResearchBenchmark.Run(weights, tok, train, eval, options, configs, row => report(++done, $"{row.Method} {row.Config}: {row.FinalEvalLoss:F3}"));
        });
        console.Out.WriteLine($"{options.Steps} steps, batch {options.BatchSize}, seed {options.Seed}; base model held-out loss {rows[0].BaseEvalLoss:F4}");
        console.Out.WriteLine();
        console.Out.WriteLine("| method | config | lr | trainable params | changed params | held-out loss | loss / base | tokens/s |");
        console.Out.WriteLine("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |");
        foreach (var r in rows)
            console.Out.WriteLine($"| {r.Method} | {r.Config} | {r.LearningRate:G3} | {r.TrainableParameters:N0} | {r.ChangedParameters:N0} | {r.FinalEvalLoss:F4} | {r.FinalEvalLoss / r.BaseEvalLoss:F3} | {r.TokensPerSecond:F0} |");
    }
}
