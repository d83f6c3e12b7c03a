using System.CommandLine;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.Training.Meta;
using Adapters.Training.Methods;
using Adapters.Training.Model;
using Adapters.Training.Trainer;

namespace Adapters.Cli.Commands;

/// <summary>
/// `adapters meta-train`: first-order meta-learning (Reptile or FOMAML) of an adapter's
/// initialisation over several small tasks; saves it as an adapter folder and
/// reports how a fresh and the meta-learned initialisation adapt to a held-out task in K steps.
/// </summary>
public static class MetaTrainCommand
{
    public static Command Create(CliConsole console)
    {
        var model = new Option<string>("--model") { Description = "checkpoint", DefaultValueFactory = _ => PipelineCommand.DefaultModel };
        var tokenizer = CommonOptions.Tokenizer();
        var adapter = new AdapterOptions();
        var tasks = new Option<string[]>("--task") { Description = "a task's training JSONL (its *.eval.jsonl sibling, if any, is the query set); repeat for each task", Required = true, AllowMultipleArgumentsPerToken = true };
        var heldOut = new Option<string>("--held-out-task") { Description = "a task kept out of meta-training, to compare adaptation speed", Required = true };
        var output = new Option<string>("--out") { Description = "folder for the meta-learned initialisation (an adapter folder)", Required = true };
        var algorithm = new Option<MetaAlgorithm>("--algorithm") { DefaultValueFactory = _ => MetaAlgorithm.Reptile };
        var outer = new Option<int>("--outer-steps") { DefaultValueFactory = _ => 24 };
        var inner = new Option<int>("--inner-steps") { DefaultValueFactory = _ => 4 };
        var innerLr = new Option<double>("--inner-lr") { DefaultValueFactory = _ => 0.2 };
        var outerLr = new Option<double>("--outer-lr") { DefaultValueFactory = _ => 1e-2 };
        var adaptSteps = new Option<int>("--adapt-steps") { Description = "SGD steps on the held-out task for the comparison", DefaultValueFactory = _ => 5 };
        var seed = new Option<int>("--seed") { DefaultValueFactory = _ => 0 };
        var threads = CommonOptions.Threads();
        var command = new Command("meta-train", "Meta-learn an adapter initialisation across tasks (first-order MAML / Reptile).")
        {
            model, tokenizer, tasks, heldOut, output, algorithm, outer, inner, innerLr, outerLr, adaptSteps, seed, threads,
        };
        foreach (var option in adapter.All) command.Add(option);
        command.SetAction(parse => console.Guard(() =>
        {
            int seedValue = parse.GetValue(seed), steps = parse.GetValue(adaptSteps);
            var options = new MetaTrainerOptions
            {
                Algorithm = parse.GetValue(algorithm), OuterSteps = parse.GetValue(outer), InnerSteps = parse.GetValue(inner),
                InnerLearningRate = parse.GetValue(innerLr), OuterLearningRate = parse.GetValue(outerLr), Seed = seedValue, Threads = parse.GetValue(threads),
            }.Validate();
            if (steps <= 0) throw new ArgumentException($"--adapt-steps must be positive, got {steps}");
            string modelPath = parse.GetValue(model)!;
            var weights = CheckpointLoader.Load(modelPath);
            var tok = TokenizerLoader.Load(parse.GetValue(tokenizer) ?? TokenizerLocator.FindBeside(modelPath, weights.Config.VocabSize), weights.Config.VocabSize);
            var metaTasks = parse.GetValue(tasks)!.Select(path => LoadTask(path, seedValue)).ToList();
            var heldOutTask = LoadTask(parse.GetValue(heldOut)!, seedValue);

            using var llama = LlamaModel.FromWeights(weights);
            using var method = AdapterMethodRegistry.Create(parse.GetValue(adapter.Method)!, adapter.Hyperparameters(parse, weights.Config), weights.Config, seed: seedValue);
            var meta = new MetaTrainer(llama, method, tok, options);
            var fresh = AdapterStore.ExportTensors(method).ToDictionary(t => t.Name);

            double baseLoss = meta.EvalLoss(heldOutTask.Query);
            meta.Adapt(heldOutTask.Support, steps, seed: seedValue);
            double freshLoss = meta.EvalLoss(heldOutTask.Query);
            AdapterStore.ImportTensors(method, fresh);

            var result = new ProgressReporter(console).Run("meta-train", options.OuterSteps, report =>
                meta.MetaTrain(metaTasks, (step, loss) => report(step, $"adapted query loss {loss:F4}")));
            AdapterStore.Save(parse.GetValue(output)!, method, ModelFingerprint.Of(weights));
            meta.Adapt(heldOutTask.Support, steps, seed: seedValue);
            double metaLoss = meta.EvalLoss(heldOutTask.Query);

            console.Out.WriteLine($"initialisation: {parse.GetValue(output)} ({options.Algorithm}, {options.OuterSteps} outer steps over {metaTasks.Count} tasks, {result.Seconds:F1} s)");
            console.Out.WriteLine($"held-out task {heldOutTask.Name}: base loss {baseLoss:F4}; after {steps} adaptation steps: fresh init {freshLoss:F4}, meta-learned init {metaLoss:F4} ({metaLoss / freshLoss:F2}x)");
            return 0;
        }));
        return command;
    }

    /// <summary>A task from its training file; the *.eval.jsonl sibling is the query set, else a quarter is held out.</summary>
    static MetaTask LoadTask(string trainPath, int seed)
    {
        string name = Path.GetFileName(trainPath).Replace(".train.jsonl", "").Replace(".jsonl", "");
        string evalPath = trainPath.Replace(".train.jsonl", ".eval.jsonl");
        var (support, query) = evalPath != trainPath && File.Exists(evalPath)
            ? (TrainingData.Load(trainPath), TrainingData.Load(evalPath))
            : TrainingData.Split(TrainingData.Load(trainPath), 0.25, seed);
        return new MetaTask(name, support, query);
    }
}
