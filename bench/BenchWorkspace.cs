using Adapters.Core.Adapters;
using Adapters.Core.Checkpoints;
using Adapters.Core.Exported;
using Adapters.Core.Model;
using Adapters.Export;
using Adapters.Export.AdapterExport;
using Adapters.Export.Onnx;
using Adapters.Export.Quantization;

namespace Adapters.Bench;

/// <summary>
/// The exported folders one bench run times, all from the same base weights:
/// base (plain), fused LoRA r=8, swappable LoRA r=8 and r=64, swappable LoReFT + DiReFT, and a
/// batched export with <see cref="BatchedAdapters"/> LoRA r=8 adapters; plus a second version
/// of LoRA r=8 for hot-swapping.
/// </summary>
public sealed class BenchWorkspace
{
    /// <summary>Slots of the batched export: the mixed batch has 8 rows with 8 adapters.</summary>
    public const int BatchedAdapters = 8;

    /// <summary>LoRA ranks compared (the r = 8 and r = 64).</summary>
    public const int SmallRank = 8, LargeRank = 64;

    public const string LoraSmall = "lora-r8", LoraLarge = "lora-r64", LoReft = "loreft", DiReft = "direft";

    BenchWorkspace(string root, LlamaWeights weights)
    {
        Root = root;
        Config = weights.Config;
        Fingerprint = ModelFingerprint.Of(weights);
        Source = weights.Source;
        // Tiny shapes (260K: k_proj is [32, 64]) cannot hold rank 64; use the largest rank every projection allows.
        LargeRankUsed = Math.Min(LargeRank, LlamaTensorNames.Projections.Min(p =>
        {
            var (outFeatures, inFeatures) = LlamaTensorNames.ProjectionShape(Config, p);
            return Math.Min(outFeatures, inFeatures);
        }));
    }

    /// <summary><see cref="LargeRank"/>, or less where the model is too small for it.</summary>
    public int LargeRankUsed { get; }

    public string Root { get; }
    public LlamaConfig Config { get; }
    public ModelFingerprint Fingerprint { get; }
    public string Source { get; }

    public string BaseFolder => Path.Combine(Root, "base");
    public string FusedFolder => Path.Combine(Root, "fused-lora-r8");
    public string SwappableFolder => Path.Combine(Root, "swappable-lora");
    public string ReftFolder => Path.Combine(Root, "swappable-reft");
    public string BatchedFolder => Path.Combine(Root, "batched-lora");
    public string CompressedFolder => Path.Combine(Root, "compressed-sfsd");

    /// <summary>The base with int8 or int4 projections (export --quantize), and swappable LoRA r=8 on the int4 base.</summary>
    public string QuantizedFolder(int bits) => Path.Combine(Root, $"base-int{bits}");
    public string QuantizedSwappableFolder => Path.Combine(Root, $"swappable-lora-int{QuantizedLoraBits}");

    /// <summary>Precisions our quantized variants use, and the one the LoRA-on-quantized variant sits on.</summary>
    public static readonly IReadOnlyList<int> QuantizedBits = [8, 4];
    public const int QuantizedLoraBits = 4;

    /// <summary>
    /// The bench's default quantization (block size and accuracy level from <see cref="BenchOptions.Quantization"/>):
    /// classifier int8 — llama.cpp's quantizer keeps the output tensor (here the tied embedding) at
    /// Q8_0 in its Q8_0 and Q4_0 files too, so both engines keep the logits at 8 bits.
    /// </summary>
    public static readonly QuantizationOptions DefaultQuantization = new() { ClassifierBits = 8 };

    /// <summary>
    /// The fusion sets a run compares with the base (export --fuse), less the export default (that
    /// is the base) and the sets this shape cannot take (GroupQueryAttention needs head_size % 16 == 0).
    /// </summary>
    public static IReadOnlyList<string> FusionSets(LlamaConfig config) =>
        new[] { "none", "gqa", "skip-norm", "rotary", "gqa,skip-norm" }
            .Where(set => DecoderFusions.Parse(set) != DecoderFusions.Default(config) && DecoderFusions.Parse(set).AllowsShape(config)).ToList();

    /// <summary>The base exported with fusion set <paramref name="set"/> (e.g. "gqa,skip-norm").</summary>
    public string FusionFolder(string set) => Path.Combine(Root, "base-fuse-" + set.Replace(',', '+'));

    /// <summary>Second version of lora-r8 (different values, same shapes): what Replace swaps in.</summary>
    public string SwapFolder => Path.Combine(Root, "swap");

    public static string BatchedName(int i) => $"lora-b{i}";

    /// <summary>Path of an exported adapter's manifest (.adapter.json) or file (.onnx_adapter) in a folder.</summary>
    public static string AdapterManifest(string folder, string name) => Path.Combine(folder, AdapterExporter.AdaptersFolder, name + ExportedAdapterManifest.FileSuffix);
    public static string AdapterFile(string folder, string name) => Path.Combine(folder, AdapterExporter.AdaptersFolder, name + ExportedAdapterManifest.AdapterFileSuffix);

    /// <summary>
    /// Exports everything under <paramref name="root"/> (replacing what is there). With
    /// <paramref name="quantized"/> also the int8/int4 bases and LoRA r=8 on int4; with
    /// <paramref name="precisionOnly"/> only base, swappable LoRA r=8 and those.
    /// </summary>
    public static BenchWorkspace Create(LlamaWeights weights, string root, int threads, int seed, Action<string> log,
        bool quantized = false, bool precisionOnly = false, QuantizationOptions? quantization = null, bool fusions = false)
    {
        var workspace = new BenchWorkspace(root, weights);
        var model = new LlamaExportOptions { IntraOpThreads = threads };
        Directory.CreateDirectory(root);
        foreach (string dir in new[] { workspace.BaseFolder, workspace.FusedFolder, workspace.SwappableFolder, workspace.ReftFolder, workspace.BatchedFolder, workspace.SwapFolder,
                     workspace.QuantizedSwappableFolder }.Concat(QuantizedBits.Select(workspace.QuantizedFolder)).Concat(FusionSets(weights.Config).Select(workspace.FusionFolder)))
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);

        log($"export: base (--fuse {DecoderFusions.Default(weights.Config)})");
        LlamaOnnxExporter.Export(weights, workspace.BaseFolder, model);
        if (fusions && !precisionOnly)
            foreach (string set in FusionSets(weights.Config))
            {
                log($"export: base --fuse {set}");
                LlamaOnnxExporter.Export(weights, workspace.FusionFolder(set), model with { Fusions = DecoderFusions.Parse(set) });
            }

        var small = new AdapterSource(LoraSmall, SmallLora(weights, seed));
        quantization ??= DefaultQuantization;
        QuantizationOptions Quantization(int bits) => quantization with { Bits = bits };
        if (quantized || precisionOnly)
        {
            foreach (int bits in QuantizedBits)
            {
                log($"export: base int{bits} (MatMulNBits, block {quantization.BlockSize}, accuracy level {quantization.AccuracyLevel}, classifier {(quantization.ClassifierBits is { } c ? $"int{c}" : "fp32")})");
                var manifest = LlamaOnnxExporter.Export(weights, workspace.QuantizedFolder(bits), model with { Quantization = Quantization(bits) });
                log($"export: int{bits} relative Frobenius error {manifest.Quantization!.RelativeError:G4}");
            }
            log($"export: swappable LoRA r={SmallRank} on the int{QuantizedLoraBits} base");
            AdapterExporter.Export(weights, [small], workspace.QuantizedSwappableFolder,
                new AdapterExportOptions { Mode = AdapterExportMode.Swappable, Model = model with { Quantization = Quantization(QuantizedLoraBits) } });
        }
        if (precisionOnly)
        {
            log($"export: swappable LoRA r={SmallRank}");
            AdapterExporter.Export(weights, [small], workspace.SwappableFolder, new AdapterExportOptions { Mode = AdapterExportMode.Swappable, Model = model });
            AdapterExporter.WriteAdapter(weights.Config, workspace.Fingerprint, new AdapterSource(LoraSmall, BenchAdapters.Lora(weights, SmallRank, seed + 99)), workspace.SwapFolder);
            return workspace;
        }

        var large = new AdapterSource(LoraLarge, BenchAdapters.Lora(weights, workspace.LargeRankUsed, seed + 2));
        log("export: fused LoRA r=8");
        AdapterExporter.Export(weights, [small], workspace.FusedFolder, new AdapterExportOptions { Mode = AdapterExportMode.Fused, Model = model });
        log($"export: swappable LoRA r={SmallRank}, r={workspace.LargeRankUsed}");
        AdapterExporter.Export(weights, [small, large], workspace.SwappableFolder, new AdapterExportOptions { Mode = AdapterExportMode.Swappable, Model = model });
        log("export: swappable LoReFT, DiReFT");
        AdapterExporter.Export(weights,
            [new AdapterSource(LoReft, BenchAdapters.Reft(weights, AdapterMethods.LoReft, seed + 3)), new AdapterSource(DiReft, BenchAdapters.Reft(weights, AdapterMethods.DiReft, seed + 4))],
            workspace.ReftFolder, new AdapterExportOptions { Mode = AdapterExportMode.Swappable, Model = model });
        log($"export: batched LoRA r=8 × {BatchedAdapters}");
        var batched = Enumerable.Range(0, BatchedAdapters).Select(i => new AdapterSource(BatchedName(i), BenchAdapters.Lora(weights, SmallRank, seed + 10 + i))).ToList();
        AdapterExporter.Export(weights, batched, workspace.BatchedFolder,
            new AdapterExportOptions { Mode = AdapterExportMode.Batched, Slots = BatchedAdapters, Model = model });
        AdapterExporter.WriteAdapter(weights.Config, workspace.Fingerprint, new AdapterSource(LoraSmall, BenchAdapters.Lora(weights, SmallRank, seed + 99)), workspace.SwapFolder);
        return workspace;
    }

    /// <summary>Exports a compressed checkpoint of the base (factorised projections as two MatMuls) to <see cref="CompressedFolder"/>.</summary>
    public void ExportCompressed(LlamaWeights compressed, int threads, Action<string> log)
    {
        if (Directory.Exists(CompressedFolder)) Directory.Delete(CompressedFolder, recursive: true);
        log($"export: compressed (SFSD, {compressed.Factorized.Count} factorised projections)");
        LlamaOnnxExporter.Export(compressed, CompressedFolder, new LlamaExportOptions { IntraOpThreads = threads });
    }

    /// <summary>The run's lora-r8 weights (every engine that times "LoRA r=8" gets these).</summary>
    public static AdapterFolder SmallLora(LlamaWeights weights, int seed) => BenchAdapters.Lora(weights, SmallRank, seed + 1);

    /// <summary>Random weights of a named shape, or the checkpoint at <paramref name="modelPath"/>.</summary>
    public static LlamaWeights LoadWeights(BenchOptions options) =>
        options.ModelPath is { } path ? CheckpointLoader.Load(path) : RandomCheckpoint.Create(ModelShapes.Resolve(options.EffectiveShape), options.Seed);
}
