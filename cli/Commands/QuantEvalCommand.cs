using System.CommandLine;
using Adapters.Bench.Quality;
using Adapters.Core.Checkpoints;
using Adapters.Core.Tokenizers;
using Adapters.Export.Quantization;
using Adapters.Training.Trainer;

namespace Adapters.Cli.Commands;

/// <summary>
/// `adapters quant-eval`: what int8 and int4 exports cost in quality against fp32 (held-out
/// perplexity, greedy agreement, an adapter's held-out answers). The logic is in bench/Quality
/// (<see cref="QuantEvalRunner"/>); the task data is read by training's one JSONL reader.
/// </summary>
public static class QuantEvalCommand
{
    public const string DefaultText = "tests/data/stories_heldout.txt";

    public static Command Create(CliConsole console)
    {
        var model = new Option<string>("--model") { Description = "checkpoint (.bin or Hugging Face folder)", DefaultValueFactory = _ => PipelineCommand.DefaultModel };
        var tokenizer = CommonOptions.Tokenizer();
        var text = new Option<string[]>("--text") { Description = "held-out text file(s), one sequence per non-blank line", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [DefaultText] };
        var tokens = new Option<int>("--tokens") { Description = "greedy tokens from BOS compared with fp32's", DefaultValueFactory = _ => QuantEvalOptions.DefaultTokens };
        var adapter = new Option<string?>("--adapter") { Description = "a trained adapter (folder or train run) exported swappable on each precision" };
        var evalData = new Option<string?>("--eval-data") { Description = "the adapter's held-out JSONL ({\"prompt\", \"completion\"}): an answer is right when the greedy continuation starts with the completion" };
        var blockSize = new Option<int>("--block-size") { Description = "quantization block size", DefaultValueFactory = _ => QuantizationOptions.DefaultBlockSize };
        var accuracy = new Option<int>("--accuracy-level") { Description = "MatMulNBits accuracy_level (4 = int8 activations, 0 = fp32)", DefaultValueFactory = _ => QuantizationOptions.DefaultAccuracyLevel };
        var classifier = new Option<string?>("--quantize-classifier") { Description = "also quantize the classifier, int8 or int4 (default fp32)" };
        var output = new Option<string>("--out") { Description = "where the exports and quant_eval.json/.md go", DefaultValueFactory = _ => "out/quant-eval" };
        var threads = CommonOptions.Threads();
        var command = new Command("quant-eval", "Quality of int8 / int4 exports against fp32: held-out perplexity, greedy agreement, an adapter's held-out answers.")
            { model, tokenizer, text, tokens, adapter, evalData, blockSize, accuracy, classifier, output, threads };
        command.SetAction(parse => console.Guard(() =>
        {
            string modelPath = parse.GetValue(model)!;
            string tokenizerPath = parse.GetValue(tokenizer) ?? TokenizerLocator.FindBeside(modelPath, CheckpointLoader.Load(modelPath).Config.VocabSize);
            var examples = parse.GetValue(evalData) is { } data
                ? TrainingData.Load(data).Select(e => (e.Prompt, e.Completion)).ToList()
                : [];
            var options = new QuantEvalOptions
            {
                ModelPath = modelPath,
                TokenizerPath = tokenizerPath,
                TextFiles = parse.GetValue(text)!,
                Tokens = parse.GetValue(tokens),
                AdapterPath = parse.GetValue(adapter),
                AdapterExamples = examples,
                Quantization = new QuantizationOptions
                {
                    BlockSize = parse.GetValue(blockSize),
                    AccuracyLevel = parse.GetValue(accuracy),
                    ClassifierBits = parse.GetValue(classifier) is { } c ? QuantizationOptions.ParseBits(c, "--quantize-classifier") : null,
                },
                OutputFolder = parse.GetValue(output)!,
                Threads = parse.GetValue(threads) ?? 0,
            };
            var report = QuantEvalRunner.Run(options, console.Info);
            Directory.CreateDirectory(options.OutputFolder);
            string markdown = report.ToMarkdown();
            Core.IO.AtomicFile.WriteAllText(Path.Combine(options.OutputFolder, "quant_eval.json"), report.ToJson());
            Core.IO.AtomicFile.WriteAllText(Path.Combine(options.OutputFolder, "quant_eval.md"), markdown);
            console.Out.Write(markdown);
            return 0;
        }));
        return command;
    }
}
