using System.CommandLine;
using Adapters.Bench;
using Adapters.Runtime;

namespace Adapters.Cli.Commands;

/// <summary>
/// `adapters bench`: serving latency of base, fused, swappable, ReFT and batched adapters against
/// ONNX Runtime GenAI, interleaved in one process; prints the markdown table and writes
/// bench.json, bench.md and PNG plots. The logic is in bench/ (<see cref="BenchRunner"/>).
/// </summary>
public static class BenchCommand
{
    public static Command Create(CliConsole console)
    {
        var shape = new Option<string?>("--shape") { Description = $"model shape with random weights: 260K, 15M, 42M, 110M or a JSON config (default {BenchOptions.DefaultShape}; {BenchOptions.QuickShape} with --quick)" };
        var model = new Option<string?>("--model") { Description = "a llama2.c .bin or Hugging Face folder instead of random weights" };
        var compressed = new Option<string?>("--compressed") { Description = "compressed checkpoint folder from `adapters compress` of the same base (--model or --shape/--seed as given to compress): adds a \"compressed (SFSD)\" variant" };
        var compareWith = new Option<string?>("--compare-with") { Description = "with --model an exported folder: a second export of the same model (other --fuse, --quantize, ...) timed in the same rounds, ours and GenAI's (\"compared export\", compared_export_decode_ratio)" };
        var seed = new Option<int>("--seed") { Description = "seed of the random weights (match `adapters compress --shape --seed`)", DefaultValueFactory = _ => 0 };
        var orderSeed = new Option<int?>("--order-seed") { Description = "seed of the variants' order in each round (default: a new one per run, printed and recorded as settings.order_seed; give it to repeat a run's order)" };
        var output = new Option<string>("--out") { Description = "output folder (exports, bench.json, bench.md, plots)", DefaultValueFactory = _ => "out/bench" };
        var quick = new Option<bool>("--quick") { Description = $"small fast run (what tests use): {BenchOptions.QuickSteps} steps, {BenchOptions.QuickRounds} round, {BenchOptions.QuickPromptTokens}-token prompt, {BenchOptions.QuickSwaps} swaps, {BenchOptions.QuickShape} shape, no settling; any of these given explicitly stands" };
        var steps = new Option<int>("--steps") { Description = "decode steps per generation", DefaultValueFactory = _ => new BenchOptions().Steps };
        var rounds = new Option<int>("--rounds") { Description = "timed round-robin passes over all variants", DefaultValueFactory = _ => new BenchOptions().Rounds };
        var prompt = new Option<int>("--prompt-tokens") { Description = "prompt length", DefaultValueFactory = _ => new BenchOptions().PromptTokens };
        var batches = new Option<string?>("--batch-sizes") { Description = "comma-separated batch sizes (default 1,8; 1 with --precision-only)" };
        var settle = new Option<int?>("--settle-ms") { Description = $"idle ms before each timed generation, so the previous variant's spinning ONNX Runtime workers sleep (default {BenchOptions.DefaultSettleMs}; 0 with --quick)" };
        var swaps = new Option<int>("--swaps") { Description = "adapter loads and hot swaps timed", DefaultValueFactory = _ => new BenchOptions().Swaps };
        var noGenAi = new Option<bool>("--no-genai") { Description = "skip ONNX Runtime GenAI" };
        var noLlamaCpp = new Option<bool>("--no-llamacpp") { Description = "skip llama.cpp (LLamaSharp; GGUF F32/Q8_0/Q4_0 and its LoRA r=8, batch 1)" };
        var noFusions = new Option<bool>("--no-fusions") { Description = "skip the base exported with the other --fuse sets (none, gqa, skip-norm, rotary, gqa,skip-norm), ours and GenAI's" };
        var noQuantized = new Option<bool>("--no-quantized") { Description = "skip our int8/int4 exports (export --quantize) and LoRA r=8 on int4" };
        var precisionOnly = new Option<bool>("--precision-only") { Description = "only the precision comparison: our fp32 / int8 / int4 (+ LoRA r=8 on fp32 and int4) against llama.cpp F32 / Q8_0 / Q4_0 (+ its LoRA)" };
        var blockSize = new Option<int>("--block-size") { Description = "quantized variants: MatMulNBits block size", DefaultValueFactory = _ => BenchWorkspace.DefaultQuantization.BlockSize };
        var accuracy = new Option<int>("--accuracy-level") { Description = "quantized variants: MatMulNBits accuracy_level (4 = int8 activations, 0 = fp32)", DefaultValueFactory = _ => BenchWorkspace.DefaultQuantization.AccuracyLevel };
        var classifier = new Option<string>("--quantize-classifier") { Description = "quantized variants: classifier int8 (default, as llama.cpp's files), int4 or fp32", DefaultValueFactory = _ => "int8" };
        var provider = new Option<ExecutionProviderPreference>("--provider") { Description = "auto (CUDA when present), cpu or cuda", DefaultValueFactory = _ => ExecutionProviderPreference.Auto };
        var threads = CommonOptions.Threads();
        var command = new Command("bench", "Serving latency of adapter variants vs the base, ONNX Runtime GenAI and llama.cpp.")
            { shape, model, compressed, compareWith, seed, orderSeed, output, quick, steps, rounds, prompt, batches, settle, swaps, noGenAi, noLlamaCpp, noQuantized, noFusions, precisionOnly, blockSize, accuracy, classifier, provider, threads };
        command.SetAction(parse => console.Guard(() =>
        {
            if (parse.GetValue(noQuantized) && parse.FirstGiven(blockSize, accuracy, classifier) is { } unused)
                throw new ArgumentException($"{unused.Name} sets the quantized variants, which --no-quantized leaves out");
            var options = new BenchOptions
            {
                Shape = parse.GetValue(shape),
                ModelPath = parse.GetValue(model),
                CompressedPath = parse.GetValue(compressed),
                CompareWithPath = parse.GetValue(compareWith),
                Seed = parse.GetValue(seed),
                OrderSeed = parse.GetValue(orderSeed),
                OutputFolder = parse.GetValue(output)!,
                Steps = parse.GetValue(steps),
                Rounds = parse.GetValue(rounds),
                PromptTokens = parse.GetValue(prompt),
                BatchSizes = ParseSizes(parse.GetValue(batches) ?? (parse.GetValue(precisionOnly) ? "1" : "1,8")),
                Swaps = parse.GetValue(swaps),
                SettleMs = parse.GetValue(settle),
                IncludeGenAi = !parse.GetValue(noGenAi) && BenchOptions.GenAiInThisBuild, // the Gpu build says so in its log
                IncludeLlamaCpp = !parse.GetValue(noLlamaCpp),
                IncludeQuantized = !parse.GetValue(noQuantized),
                IncludeFusions = !parse.GetValue(noFusions),
                PrecisionOnly = parse.GetValue(precisionOnly),
                Quantization = BenchWorkspace.DefaultQuantization with
                {
                    BlockSize = parse.GetValue(blockSize),
                    AccuracyLevel = parse.GetValue(accuracy),
                    ClassifierBits = ParseClassifier(parse.GetValue(classifier)!),
                },
                Provider = parse.GetValue(provider),
                Threads = parse.GetValue(threads) ?? 0,
            };
            if (parse.GetValue(quick))
            {
                // --quick sets what the user did not: an explicit --steps, --rounds, --prompt-tokens or --swaps stands.
                int? Given(Option<int> option) => parse.IsGiven(option) ? parse.GetValue(option) : null;
                options = options.AsQuick(Given(steps), Given(rounds), Given(prompt), Given(swaps));
            }
            var report = BenchRunner.Run(options, console.Info);
            var files = BenchOutput.Write(report, options.OutputFolder);
            console.Out.Write(BenchTable.ToMarkdown(report));
            foreach (string file in files) console.Info($"wrote {file}");
            return 0;
        }));
        return command;
    }

    /// <summary>int8 or int4 (bits), or fp32 (null: the classifier stays unquantized).</summary>
    static int? ParseClassifier(string text) => text.Trim().ToLowerInvariant() switch
    {
        "fp32" => null,
        "int8" or "int4" => Export.Quantization.QuantizationOptions.ParseBits(text, "--quantize-classifier"),
        _ => throw new ArgumentException($"--quantize-classifier '{text}' is not supported; use int8, int4 or fp32"),
    };

    static int[] ParseSizes(string text)
    {
        try { return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(int.Parse).ToArray(); }
        catch (FormatException) { throw new ArgumentException($"--batch-sizes must be comma-separated integers, got '{text}'"); }
    }
}
