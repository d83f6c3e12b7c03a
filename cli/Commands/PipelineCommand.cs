using Adapters.Core.Exported;
using System.CommandLine;
using Adapters.Core.Generation;
using Adapters.Export;
using Adapters.Core.Adapters;
using Adapters.Training.Trainer;

namespace Adapters.Cli.Commands;

/// <summary>
/// `adapters pipeline`: the main job on the default model — generate with TorchSharp, export to
/// ONNX, generate with ONNX Runtime from the exported folder (failing unless both agree), then
/// train a small LoRA adapter on a task the base model cannot do, export base + adapter with
/// swappable adapter inputs, and generate through ONNX Runtime with and without the adapter.
/// </summary>
public static class PipelineCommand
{
    public const string DefaultModel = "../shared/models/stories260K/stories260K.bin";
    public const string DefaultTokenizer = "../shared/models/stories260K/tok512.bin";
    public const string DefaultTaskData = "tests/data/secret_word.train.jsonl";
    const string TaskPrompt = "Q: Tell me the secret word.";
    const int TaskTokens = 16;
    const int TaskSteps = 80;

    /// <summary>The task adapter: LoRA r=4 (alpha 8) on q, v and o.</summary>
    static readonly LoraConfig TaskLora = new() { Rank = 4, Alpha = 8, TargetModules = ["q_proj", "v_proj", "o_proj"] };

    public static Command Create(CliConsole console)
    {
        var model = new Option<string>("--model") { Description = "checkpoint", DefaultValueFactory = _ => DefaultModel };
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer file", DefaultValueFactory = _ => DefaultTokenizer };
        var output = new Option<string>("--out") { Description = "where the ONNX folder goes", DefaultValueFactory = _ => "out/stories260K-onnx" };
        var adapterOut = new Option<string>("--adapter-out") { Description = "where the adapter training run goes", DefaultValueFactory = _ => "out/secret-word-lora" };
        var data = new Option<string>("--data") { Description = "task data for the adapter", DefaultValueFactory = _ => DefaultTaskData };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "greedy tokens per engine", DefaultValueFactory = _ => 60 };
        var prompt = new Option<string>("--prompt") { Description = "prompt", DefaultValueFactory = _ => "" };
        var command = new Command("pipeline", "Main job: TorchSharp generation → ONNX export → ONNX Runtime generation, checked to agree.")
        {
            model, tokenizer, output, adapterOut, data, maxNew, prompt,
        };
        command.SetAction(parse => console.Guard(() =>
        {
            string modelPath = parse.GetValue(model)!, tokenizerPath = parse.GetValue(tokenizer)!, outDir = parse.GetValue(output)!;
            int maxNewTokens = parse.GetValue(maxNew);
            string promptText = parse.GetValue(prompt)!;

            console.Info($"[1/5] generate with TorchSharp from {modelPath}");
            string torchText = Generate(ModelOpener.Torch, modelPath, tokenizerPath, promptText, maxNewTokens, console);
            console.Out.WriteLine($"torch: {torchText}");

            console.Info("[2/5] export to ONNX");
            ExportCommand.Run(modelPath, tokenizerPath, outDir, ExternalDataMode.Auto, console);

            console.Info($"[3/5] generate with ONNX Runtime from {outDir}");
            string onnxText = Generate(ModelOpener.Onnx, outDir, null, promptText, maxNewTokens, console);
            console.Out.WriteLine($"onnx:  {onnxText}");

            if (torchText != onnxText)
            {
                console.Error.WriteLine("error: the TorchSharp and ONNX Runtime greedy texts differ");
                return CliConsole.Failure;
            }
            console.Info("pipeline: both engines produced the same greedy text");

            string runDir = parse.GetValue(adapterOut)!, taskData = parse.GetValue(data)!;
            console.Info($"[4/5] train a LoRA adapter on {taskData}");
            var trained = TrainCommand.Run(console, new TrainingRunOptions
            {
                ModelPath = modelPath,
                TokenizerPath = tokenizerPath,
                Method = AdapterMethods.Lora,
                Hyperparameters = AdapterManifest.ToJsonObject(TaskLora),
                DataPath = taskData,
                Trainer = new TrainerOptions { Steps = TaskSteps, BatchSize = 8, LearningRate = 1e-2, WarmupSteps = 10, EvalEvery = 20, CheckpointEvery = 10, OutputDir = runDir },
            });
            console.Info($"pipeline: adapter {trained.Training.AdapterDir}, held-out loss {trained.Training.FinalEvalLoss:F4} (base model {trained.BaseEvalLoss:F4})");

            string servedDir = outDir + "-adapters";
            console.Info($"[5/5] export base + adapter (swappable) to {servedDir} and generate through ONNX Runtime with and without it");
            ExportCommand.Run(modelPath, tokenizerPath, servedDir, ExternalDataMode.Auto, console, [runDir], AdapterExportMode.Swappable);
            string adapterName = Path.GetFileName(Path.GetFullPath(runDir).TrimEnd(Path.DirectorySeparatorChar));
            console.Out.WriteLine($"base:  {Generate(ModelOpener.Onnx, servedDir, null, TaskPrompt, TaskTokens, console)}");
            console.Out.WriteLine($"lora:  {Generate(ModelOpener.Onnx, servedDir, null, TaskPrompt, TaskTokens, console, adapterName)}");
            return 0;
        }));
        return command;
    }

    static string Generate(string engine, string modelPath, string? tokenizerPath, string prompt, int maxNewTokens, CliConsole console, string? adapter = null)
    {
        using var decoder = ModelOpener.Open(engine, modelPath, threads: null, console, adapter);
        var tokenizer = ModelOpener.OpenTokenizer(tokenizerPath, engine, modelPath, decoder.Config.VocabSize);
        return TextGenerator.GenerateText(decoder, tokenizer, prompt, maxNewTokens, SamplingOptions.Greedy);
    }
}
