using System.CommandLine;
using Adapters.Core.Generation;
using Adapters.Export;

namespace Adapters.Cli.Commands;

/// <summary>
/// `adapters pipeline`: the main job on the default model — generate with TorchSharp, export to
/// ONNX, generate with ONNX Runtime from the exported folder, and fail unless both agree.
/// </summary>
public static class PipelineCommand
{
    public const string DefaultModel = "../shared/models/stories260K/stories260K.bin";
    public const string DefaultTokenizer = "../shared/models/stories260K/tok512.bin";

    public static Command Create(CliConsole console)
    {
        var model = new Option<string>("--model") { Description = "checkpoint", DefaultValueFactory = _ => DefaultModel };
        var tokenizer = new Option<string>("--tokenizer") { Description = "tokenizer file", DefaultValueFactory = _ => DefaultTokenizer };
        var output = new Option<string>("--out") { Description = "where the ONNX folder goes", DefaultValueFactory = _ => "out/stories260K-onnx" };
        var maxNew = new Option<int>("--max-new-tokens") { Description = "greedy tokens per engine", DefaultValueFactory = _ => 60 };
        var prompt = new Option<string>("--prompt") { Description = "prompt", DefaultValueFactory = _ => "" };
        var command = new Command("pipeline", "Main job: TorchSharp generation → ONNX export → ONNX Runtime generation, checked to agree.")
        {
            model, tokenizer, output, maxNew, prompt,
        };
        command.SetAction(parse => console.Guard(() =>
        {
            string modelPath = parse.GetValue(model)!, tokenizerPath = parse.GetValue(tokenizer)!, outDir = parse.GetValue(output)!;
            int maxNewTokens = parse.GetValue(maxNew);
            string promptText = parse.GetValue(prompt)!;

            console.Info($"[1/3] generate with TorchSharp from {modelPath}");
            string torchText = Generate(ModelOpener.Torch, modelPath, tokenizerPath, promptText, maxNewTokens, console);
            console.Out.WriteLine($"torch: {torchText}");

            console.Info("[2/3] export to ONNX");
            ExportCommand.Run(modelPath, tokenizerPath, outDir, ExternalDataMode.Auto, console);

            console.Info($"[3/3] generate with ONNX Runtime from {outDir}");
            string onnxText = Generate(ModelOpener.Onnx, outDir, null, promptText, maxNewTokens, console);
            console.Out.WriteLine($"onnx:  {onnxText}");

            if (torchText != onnxText)
            {
                console.Error.WriteLine("error: the TorchSharp and ONNX Runtime greedy texts differ");
                return CliConsole.Failure;
            }
            console.Info("pipeline: both engines produced the same greedy text");
            return 0;
        }));
        return command;
    }

    static string Generate(string engine, string modelPath, string? tokenizerPath, string prompt, int maxNewTokens, CliConsole console)
    {
        using var decoder = ModelOpener.Open(engine, modelPath, threads: null, console);
        var tokenizer = ModelOpener.OpenTokenizer(tokenizerPath, engine, modelPath, decoder.Config.VocabSize);
        return TextGenerator.GenerateText(decoder, tokenizer, prompt, maxNewTokens, SamplingOptions.Greedy);
    }
}
