using System.CommandLine;
using System.Diagnostics;
using Adapters.Core.Checkpoints;
using Adapters.Core.Tokenizers;
using Adapters.Export;

namespace Adapters.Cli.Commands;

/// <summary>`adapters export`: checkpoint → ONNX model folder (GenAI-loadable).</summary>
public static class ExportCommand
{
    public static Command Create(CliConsole console)
    {
        var model = CommonOptions.Model("checkpoint file (.bin) or Hugging Face folder");
        var tokenizer = CommonOptions.Tokenizer();
        var output = new Option<string>("--out") { Description = "output folder (replaced whole when it exists)", Required = true };
        var external = new Option<ExternalDataMode>("--external-data") { Description = "store weights in model.onnx.data: Auto (only near the 2 GB protobuf limit), Always, Never", DefaultValueFactory = _ => ExternalDataMode.Auto };
        var command = new Command("export", "Export a base model to an ONNX model folder.") { model, tokenizer, output, external };
        command.SetAction(parse => console.Guard(() =>
        {
            Run(parse.GetValue(model)!, parse.GetValue(tokenizer), parse.GetValue(output)!, parse.GetValue(external), console);
            return 0;
        }));
        return command;
    }

    public static void Run(string modelPath, string? tokenizerPath, string outDir, ExternalDataMode external, CliConsole console)
    {
        var clock = Stopwatch.StartNew();
        console.Info($"export: reading {modelPath}");
        var weights = CheckpointLoader.Load(modelPath);
        string tokenizer = tokenizerPath ?? TokenizerLocator.FindBeside(modelPath, weights.Config.VocabSize);
        console.Info($"export: {weights.Config.ParameterCount():N0} parameters, {InitRandomCommand.DescribeShape(weights.Config)}; tokenizer {tokenizer}");
        console.Info($"export: writing {outDir}");
        LlamaOnnxExporter.Export(weights, outDir, new LlamaExportOptions { TokenizerPath = tokenizer, ExternalData = external });
        console.Info($"export: done in {clock.Elapsed.TotalSeconds:F1} s");
    }
}
