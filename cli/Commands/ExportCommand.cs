using System.CommandLine;
using System.Diagnostics;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.Core.Exported;
using Adapters.Export;
using Adapters.Export.AdapterExport;
using Adapters.Export.Gguf;
using Adapters.Export.Onnx;
using Adapters.Export.Quantization;

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
        var quantize = new Option<string>("--quantize") { Description = "fp32 (default, standard ops), int8 or int4: projection weights block-quantized for ONNX Runtime's MatMulNBits (com.microsoft); adapter inputs stay fp32", DefaultValueFactory = _ => "fp32" };
        var blockSize = new Option<int>("--block-size") { Description = "with --quantize: weights per quantization block along the input features (a power of two >= 16)", DefaultValueFactory = _ => QuantizationOptions.DefaultBlockSize };
        var accuracy = new Option<int>("--accuracy-level") { Description = "with --quantize: MatMulNBits accuracy_level, 4 = int8 activations (fast on AVX-512 VNNI), 0 = fp32 activations", DefaultValueFactory = _ => QuantizationOptions.DefaultAccuracyLevel };
        var classifier = new Option<string?>("--quantize-classifier") { Description = "with --quantize: also quantize the classifier (logits) weight, int8 or int4 (default: it stays fp32)" };
        var fuse = new Option<string?>("--fuse") { Description = "ONNX Runtime contrib-op fusions of the graph: none, or a comma-separated list of gqa (GroupQueryAttention, in-place KV cache; head size a multiple of 16), skip-norm (residual add + RMSNorm), rotary (RotaryEmbedding, standard attention). Default: see README" };
        var command = new Command("export", "Export a base model, optionally with adapters, to an ONNX model folder (or GGUF files).") { model, tokenizer, output, external, adapters, mode, slots, svdRank, format, quantize, blockSize, accuracy, classifier, fuse };
        command.SetAction(parse => console.Guard(() =>
        {
            if (parse.GetValue(format) == ExportFormat.Gguf)
            {
                var onnxOnly = parse.FirstGiven(external, mode, slots, svdRank, quantize, blockSize, accuracy, classifier, fuse);
                if (onnxOnly is not null) throw new ArgumentException($"{onnxOnly.Name} applies to ONNX exports only, not to --format gguf");
                RunGguf(parse.GetValue(model)!, parse.GetValue(tokenizer), parse.GetValue(output)!, parse.GetValue(adapters)!, console);
                return 0;
            }
            if (parse.GetValue(adapters) is not { Length: > 0 } && parse.FirstGiven(mode, slots, svdRank) is { } adapterOnly)
                throw new ArgumentException($"{adapterOnly.Name} applies only with --adapter");
            QuantizationOptions? quantization = null;
            if (parse.GetValue(quantize)!.Trim().ToLowerInvariant() is not "fp32")
                quantization = new QuantizationOptions
                {
                    Bits = QuantizationOptions.ParseBits(parse.GetValue(quantize)!, "--quantize"),
                    BlockSize = parse.GetValue(blockSize),
                    AccuracyLevel = parse.GetValue(accuracy),
                    ClassifierBits = parse.GetValue(classifier) is { } c ? QuantizationOptions.ParseBits(c, "--quantize-classifier") : null,
                }.Validate();
            else if (parse.FirstGiven(blockSize, accuracy, classifier) is { } unused)
                throw new ArgumentException($"{unused.Name} applies only with --quantize int8 or int4");
            Run(parse.GetValue(model)!, parse.GetValue(tokenizer), parse.GetValue(output)!, parse.GetValue(external), console,
                parse.GetValue(adapters)!, parse.GetValue(mode), parse.GetValue(slots), parse.GetValue(svdRank), quantization,
                parse.GetValue(fuse) is { } fusions ? DecoderFusions.Parse(fusions) : null);
            return 0;
        }));
        return command;
    }

    public static void Run(string modelPath, string? tokenizerPath, string outDir, ExternalDataMode external, CliConsole console,
        IReadOnlyList<string>? adapters = null, AdapterExportMode mode = AdapterExportMode.Swappable, int? slots = null, int? svdRank = null,
        QuantizationOptions? quantization = null, DecoderFusions? fusions = null)
    {
        var clock = Stopwatch.StartNew();
        console.Info($"export: reading {modelPath}");
        var weights = CheckpointLoader.Load(modelPath);
        string tokenizer = tokenizerPath ?? TokenizerLocator.FindBeside(modelPath, weights.Config.VocabSize);
        console.Info($"export: {weights.Config.ParameterCount():N0} parameters, {ModelShapes.Describe(weights.Config)}; tokenizer {tokenizer}");
        var modelOptions = new LlamaExportOptions { TokenizerPath = tokenizer, ExternalData = external, Quantization = quantization, Fusions = fusions };
        ExportedModelManifest written;
        if (adapters is not { Count: > 0 })
        {
            console.Info($"export: writing {outDir}");
            written = LlamaOnnxExporter.Export(weights, outDir, modelOptions);
        }
        else
        {
            console.Info($"export: writing {outDir} with {adapters.Count} adapter(s), mode {mode}");
            var result = AdapterExporter.Export(weights, adapters, outDir, new AdapterExportOptions { Mode = mode, Model = modelOptions, Slots = slots, SvdRank = svdRank });
            written = result.Model;
            foreach (var a in result.Adapters)
                console.Info($"export: adapter '{a.Name}' ({a.Method}, rank {a.Rank})"
                    + (a.SvdRelativeError is { } error ? $", truncated SVD relative error {error:G4} (worst projection {a.SvdProjectionErrors!.Values.Max():G4})" : ""));
        }
        if (written.Quantization is { } q)
            console.Info($"export: int{q.Bits} MatMulNBits (block {q.BlockSize}, accuracy level {q.AccuracyLevel}"
                + (q.ClassifierBits is { } cb ? $", classifier int{cb}" : ", classifier fp32")
                + $"): relative Frobenius error {q.RelativeError:G4} overall, worst weight {q.ProjectionErrors.MaxBy(e => e.Value).Key} {q.ProjectionErrors.Values.Max():G4}");
        console.Info($"export: fusions {(written.Fusions.Count == 0 ? DecoderFusions.NoneName : string.Join(",", written.Fusions))} (attention {written.Attention})");
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
