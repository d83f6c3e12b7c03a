using Adapters.Runtime;

namespace Adapters.Bench;

/// <summary>What one `adapters bench` run measures, and how much.</summary>
public sealed record BenchOptions
{
    /// <summary>The quick run that tests use: the 260K shape, a handful of steps.</summary>
    public const string QuickShape = "260K";
    public const int QuickSteps = 6;
    public const int QuickRounds = 1;
    public const int QuickPromptTokens = 8;
    public const int QuickSwaps = 10;

    /// <summary>The shape of a run that names none: 15M, or <see cref="QuickShape"/> for a quick run.</summary>
    public const string DefaultShape = "15M";

    /// <summary>A named shape (ModelShapes) or JSON config with random weights; null = the default. Ignored when <see cref="ModelPath"/> is set.</summary>
    public string? Shape { get; init; }

    /// <summary>The shape this run uses.</summary>
    public string EffectiveShape => Shape ?? (Quick ? QuickShape : DefaultShape);

    /// <summary>A llama2.c or Hugging Face checkpoint to benchmark instead of random weights, or an exported ONNX folder to time as it is.</summary>
    public string? ModelPath { get; init; }

    /// <summary><see cref="ModelPath"/> when it is an exported ONNX folder (it holds model_manifest.json), else null.</summary>
    public string? ExportedFolder => ModelPath is { } path && File.Exists(Path.Combine(path, Core.Exported.ExportedModelFiles.ManifestFileName)) ? path : null;

    /// <summary>
    /// A compressed checkpoint folder (`adapters compress --out`) of this run's base: adds the
    /// "compressed (SFSD)" variant, timed interleaved with the dense base.
    /// </summary>
    public string? CompressedPath { get; init; }

    /// <summary>
    /// A second export of the same model (other --fuse, --quantize, ...) timed in the same rounds
    /// as the exported folder of <see cref="ModelPath"/>, ours and GenAI's: "compared export".
    /// </summary>
    public string? CompareWithPath { get; init; }

    public string OutputFolder { get; init; } = "out/bench";

    /// <summary>Decode steps per generation (after the prefill).</summary>
    public int Steps { get; init; } = 32;

    /// <summary>Timed passes over all variants (round-robin, after one untimed warm-up pass).</summary>
    public int Rounds { get; init; } = 3;

    /// <summary>Prompt length of every row; ReFT edits its first and last positions.</summary>
    public int PromptTokens { get; init; } = 16;

    public IReadOnlyList<int> BatchSizes { get; init; } = [1, 8];

    /// <summary>Registry Replace calls timed for the hot-swap latency (the issue asks for 100).</summary>
    public int Swaps { get; init; } = 100;

    /// <summary>
    /// Idle milliseconds before each timed generation. ONNX Runtime's intra-op workers spin for
    /// tens of milliseconds after a run before they sleep; without a pause the previous variant's
    /// spinning workers share the cores with the next variant's first steps (measured: steps 1–16
    /// of each generation 2–3× slower, for our engine and GenAI alike, gone with a 100 ms pause).
    /// A serving process runs one session at a time and never sees that; 0 measures it.
    /// Null: <see cref="DefaultSettleMs"/>, or 0 for a quick run.
    /// </summary>
    public int? SettleMs { get; init; }

    public const int DefaultSettleMs = 100;

    public int EffectiveSettleMs => SettleMs ?? (Quick ? 0 : DefaultSettleMs);

    /// <summary>Intra-op threads for our sessions and GenAI's; 0 = all logical cores.</summary>
    public int Threads { get; init; }

    public ExecutionProviderPreference Provider { get; init; } = ExecutionProviderPreference.Auto;

    /// <summary>Also time ONNX Runtime GenAI on the same folders.</summary>
    public bool IncludeGenAi { get; init; } = GenAiInThisBuild;

    /// <summary>
    /// False in the Gpu flavour (OnnxRuntimeFlavor=Gpu): GenAI's only served build needs the CPU
    /// onnxruntime package, and one process holds one libonnxruntime.
    /// </summary>
#if ONNXRUNTIME_GPU
    public const bool GenAiInThisBuild = false;
#else
    public const bool GenAiInThisBuild = true;
#endif

    /// <summary>Also time llama.cpp (LLamaSharp) on the same weights as GGUF F32 / Q8_0 / Q4_0, batch 1.</summary>
    public bool IncludeLlamaCpp { get; init; } = true;

    /// <summary>Also time our int8 and int4 exports (export --quantize) and swappable LoRA r=8 on the int4 one.</summary>
    public bool IncludeQuantized { get; init; } = true;

    /// <summary>Also time the base exported with each other fusion set (export --fuse: none, gqa, skip-norm, rotary, gqa,skip-norm), ours and GenAI's.</summary>
    public bool IncludeFusions { get; init; } = true;

    /// <summary>
    /// Only the precision comparison: our fp32 base (+ control), swappable LoRA r=8, int8, int4,
    /// int4 + LoRA r=8 and llama.cpp; no fused, ReFT, batched, r=64 or GenAI variants.
    /// </summary>
    public bool PrecisionOnly { get; init; }

    /// <summary>Block size, accuracy level and classifier bits of the quantized variants (their Bits are set per variant).</summary>
    public Export.Quantization.QuantizationOptions Quantization { get; init; } = BenchWorkspace.DefaultQuantization;

    public bool Quick { get; init; }

    public int Seed { get; init; }

    /// <summary>
    /// Seed of the variants' order in each round. Null: a new one per run (the report records it),
    /// so consecutive runs are independent: with one fixed order every run gives each variant the
    /// same predecessors, and what runs just before a session shifts its timing by a few percent.
    /// </summary>
    public int? OrderSeed { get; init; }

    public int EffectiveThreads => Threads > 0 ? Threads : Environment.ProcessorCount;

    /// <summary>
    /// These options as a quick run: steps, rounds, prompt length and swaps at the quick values
    /// unless given here (what the user set explicitly); shape or model, output folder and threads kept.
    /// </summary>
    public BenchOptions AsQuick(int? steps = null, int? rounds = null, int? promptTokens = null, int? swaps = null) => this with
    {
        Quick = true, Steps = steps ?? QuickSteps, Rounds = rounds ?? QuickRounds,
        PromptTokens = promptTokens ?? QuickPromptTokens, Swaps = swaps ?? QuickSwaps,
    };

    public BenchOptions Validate()
    {
        if (Steps < 1) throw new ArgumentException($"steps must be >= 1, got {Steps}");
        if (Rounds < 1) throw new ArgumentException($"rounds must be >= 1, got {Rounds}");
        if (EffectiveSettleMs is < 0 or > 10_000) throw new ArgumentException($"settle-ms must be within 0..10000, got {SettleMs}");
        if (PromptTokens < 1) throw new ArgumentException($"prompt tokens must be >= 1, got {PromptTokens}");
        if (Swaps < 2) throw new ArgumentException($"swaps must be >= 2, got {Swaps}");
        if (IncludeGenAi && !GenAiInThisBuild)
            throw new ArgumentException("ONNX Runtime GenAI is not part of this build (OnnxRuntimeFlavor=Gpu: GenAI's CPU-only package cannot share the process with the CUDA onnxruntime); run the bench with --no-genai");
        if (ExportedFolder is not null && CompressedPath is not null)
            throw new ArgumentException($"--compressed needs the dense checkpoint's weights, and {ModelPath} is an exported ONNX folder: pass the checkpoint as --model");
        if (CompareWithPath is not null && ExportedFolder is null)
            throw new ArgumentException($"--compare-with times a second export beside an exported folder; pass that folder as --model (got {(ModelPath is null ? "random weights" : ModelPath)})");
        if (Threads < 0) throw new ArgumentException($"threads must be >= 0 (0 = all cores), got {Threads}");
        Quantization.Validate();
        if (PrecisionOnly && !IncludeQuantized) throw new ArgumentException("--precision-only times the quantized variants; it cannot be combined with --no-quantized");
        if (BatchSizes.Count == 0 || BatchSizes.Any(b => b < 1)) throw new ArgumentException($"batch sizes must be >= 1, got [{string.Join(", ", BatchSizes)}]");
        return this;
    }
}
