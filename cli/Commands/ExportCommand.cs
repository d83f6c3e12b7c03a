using System.CommandLine;
using System.Diagnostics;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.Core.Exported;
using Adapters.Export;
using Adapters.Export.AdapterExport;
using Adapters.Export.Gguf;

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
        var adapters = new Option<string[]>("--adapter") { Description = "adapter folder(s) (ours, PEFT LoRA, or a train run folder); repeat or list several", AllowMultipleArgumentsPerToken = true, DefaultValueFactory = _ => [] };
        var mode = new Option<AdapterExportMode>("--mode") { Description = "with --adapter: Fused (deltas folded into the weights), Swappable (adapter inputs + .onnx_adapter files), Batched (stacked adapter slots + adapter_index)", DefaultValueFactory = _ => AdapterExportMode.Swappable };
        var slots = new Option<int?>("--slots") { Description = "batched mode: adapter slots in one run (default: number of adapters)" };
        var svdRank = new Option<int?>("--svd-rank") { Description = "swappable/batched: carry weight-delta adapters with no LoRA form (gmt, circulant, toeplitz, kronecker, ldr, tarp-static) as rank-R LoRA by truncated SVD; the relative error is printed" };
        var format = new Option<ExportFormat>("--format") { Description = "Onnx (a model folder for our runtime and GenAI) or Gguf (model.gguf, float32, and adapters/<name>.gguf, one GGUF LoRA per --adapter, for llama.cpp / Ollama / LLamaSharp)", DefaultValueFactory = _ => ExportFormat.Onnx };
        var command = new Command("export", "Export a base model, optionally with adapters, to an ONNX model folder (or GGUF files).") { model, tokenizer, output, external, adapters, mode, slots, svdRank, format };
        command.SetAction(parse => console.Guard(() =>
        {
            if (parse.GetValue(format) == ExportFormat.Gguf)
            {
                var onnxOnly = new Option[] { external, mode, slots, svdRank }.FirstOrDefault(o => parse.GetResult(o) is { Implicit: false });
                if (onnxOnly is not null) throw new ArgumentException($"{onnxOnly.Name} applies to ONNX exports only, not to --format gguf");
                RunGguf(parse.GetValue(model)!, parse.GetValue(tokenizer), parse.GetValue(output)!, parse.GetValue(adapters)!, console);
                return 0;
            }
            Run(parse.GetValue(model)!, parse.GetValue(tokenizer), parse.GetValue(output)!, parse.GetValue(external), console,
                parse.GetValue(adapters)!, parse.GetValue(mode), parse.GetValue(slots), parse.GetValue(svdRank));
            return 0;
        }));
        return command;
    }

    public static void Run(string modelPath, string? tokenizerPath, string outDir, ExternalDataMode external, CliConsole console,
        IReadOnlyList<string>? adapters = null, AdapterExportMode mode = AdapterExportMode.Swappable, int? slots = null, int? svdRank = null)
    {
        var clock = Stopwatch.StartNew();
        console.Info($"export: reading {modelPath}");
        var weights = CheckpointLoader.Load(modelPath);
        string tokenizer = tokenizerPath ?? TokenizerLocator.FindBeside(modelPath, weights.Config.VocabSize);
        console.Info($"export: {weights.Config.ParameterCount():N0} parameters, {ModelShapes.Describe(weights.Config)}; tokenizer {tokenizer}");
        var modelOptions = new LlamaExportOptions { TokenizerPath = tokenizer, ExternalData = external };
        if (adapters is not { Count: > 0 })
        {
            console.Info($"export: writing {outDir}");
            LlamaOnnxExporter.Export(weights, outDir, modelOptions);
        }
        else
        {
            console.Info($"export: writing {outDir} with {adapters.Count} adapter(s), mode {mode}");
            var result = AdapterExporter.Export(weights, adapters, outDir, new AdapterExportOptions { Mode = mode, Model = modelOptions, Slots = slots, SvdRank = svdRank });
            foreach (var a in result.Adapters)
                console.Info($"export: adapter '{a.Name}' ({a.Method}, rank {a.Rank})"
                    + (a.SvdRelativeError is { } error ? $", truncated SVD relative error {error:G4} (worst projection {a.SvdProjectionErrors!.Values.Max():G4})" : ""));
        }
        console.Info($"export: done in {clock.Elapsed.TotalSeconds:F1} s");
    }

    /// <summary>`export --format gguf`: the writing is <see cref="GgufExporter"/>'s.</summary>
    public static void RunGguf(string modelPath, string? tokenizerPath, string outDir, IReadOnlyList<string> adapters, CliConsole console)
    {
        var clock = Stopwatch.StartNew();
        console.Info($"export: reading {modelPath}");
        var weights = CheckpointLoader.Load(modelPath);
        string tokenizer = tokenizerPath ?? TokenizerLocator.FindBeside(modelPath, weights.Config.VocabSize);
        console.Info($"export: writing GGUF to {outDir} (float32, tokenizer {tokenizer}, {adapters.Count} LoRA adapter(s))");
        var result = GgufExporter.Export(weights, tokenizer, adapters, outDir);
        console.Info($"export: {result.ModelFile}");
        foreach (var (name, file) in result.AdapterFiles) console.Info($"export: adapter '{name}' → {file}");
        console.Info($"export: done in {clock.Elapsed.TotalSeconds:F1} s");
    }
}
