using System.Diagnostics;
using Adapters.Core.Exported;
using Adapters.Runtime;
using Adapters.Runtime.Serving;
using Microsoft.ML.OnnxRuntime;

namespace Adapters.Bench;

/// <summary>
/// `adapters bench`: exports the variants, then times them in one process, interleaved
/// round-robin (so drift of a busy machine hits every variant alike), and reports ratios
/// against the base of the same run.
/// </summary>
public static class BenchRunner
{
    /// <summary>Decode steps of the untimed warm-up pass: enough to allocate caches and JIT every path.</summary>
    const int WarmUpSteps = 2;

    /// <summary>Distinct adapters tried in a full batch on the batched export (1 = all rows one adapter).</summary>
    static readonly int[] DistinctCounts = [1, 2, 4, 8];

    public static BenchReport Run(BenchOptions options, Action<string> log)
    {
        options = options.Validate();
        if (options.OrderSeed is null) options = options with { OrderSeed = Random.Shared.Next() };
        log($"bench: variant order seed {options.OrderSeed} (--order-seed {options.OrderSeed} repeats this run's order)");
        var clock = Stopwatch.StartNew();
        double? loadStart = MachineInfo.LoadAverage();
        int threads = options.EffectiveThreads;
        if (options.ExportedFolder is { } exportedFolder) return RunExported(exportedFolder, options, log, clock, loadStart);

        log($"bench: weights ({options.ModelPath ?? "random " + options.EffectiveShape})");
        var weights = BenchWorkspace.LoadWeights(options);
        // Checked before the (slow) exports so a mismatched checkpoint fails at once.
        var compressed = options.CompressedPath is { } compressedPath ? CompressedSource.Load(compressedPath, weights) : null;
        string? llamaCppSkipped = options.IncludeLlamaCpp ? LlamaCppWorkspace.Unsupported(weights.Config) : null;
        if (llamaCppSkipped is not null) log($"bench: llama.cpp not run: {llamaCppSkipped}");
        var workspace = BenchWorkspace.Create(weights, Path.Combine(options.OutputFolder, "models"), threads, options.Seed, log,
            options.IncludeQuantized, options.PrecisionOnly, options.Quantization, options.IncludeFusions);
        if (compressed is not null) workspace.ExportCompressed(compressed.Weights, threads, log);
        var llamaCpp = options.IncludeLlamaCpp && llamaCppSkipped is null
            ? LlamaCppWorkspace.Create(weights, BenchWorkspace.SmallLora(weights, options.Seed), Path.Combine(options.OutputFolder, "models", "llamacpp"), threads, log)
            : null;
        weights = null; // the exports hold what we need; let the GC have the weights
        // Now, before the sessions load: a full-size model's fp32 weights and the exports' buffers are gigabytes
        // of managed heap, which a normal collection frees but keeps committed (5 GB at Qwen3-0.6B's size).
        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);

        var factory = new OnnxSessionFactory(new OnnxRuntimeOptions { IntraOpThreads = threads, Provider = options.Provider, Log = log });
        var models = new List<OnnxDecoderModel>();
        var variants = new List<IBenchVariant>();
        try
        {
            OnnxDecoderModel Load(string folder)
            {
                var model = OnnxDecoderModel.Load(ExportedModel.Open(folder), factory);
                models.Add(model);
                return model;
            }
            log("bench: loading sessions");
            var swappable = options.PrecisionOnly
                ? AddPrecisionVariants(variants, workspace, Load)
                : AddOurVariants(variants, workspace, Load, options.BatchSizes.Max()).Exported;
            if (options.IncludeQuantized) AddQuantizedVariants(variants, workspace, Load);
            if (options.IncludeFusions && !options.PrecisionOnly)
                foreach (string set in BenchWorkspace.FusionSets(workspace.Config))
                    variants.Add(new OnnxVariant(FusionVariant(set), BenchEngines.FusionKind, Load(workspace.FusionFolder(set)), [], null));
            if (compressed is not null)
                variants.Add(new OnnxVariant(CompressedVariant, BenchEngines.CompressedKind, Load(workspace.CompressedFolder), [], null));
#if ONNXRUNTIME_GPU
            log("bench: ONNX Runtime GenAI is not part of the Gpu build: not timed");
#else
            if (options.IncludeGenAi && !options.PrecisionOnly) AddGenAiVariants(variants, workspace, options.IncludeFusions);
#endif
            log($"bench: ONNX Runtime sessions loaded, process working set {Environment.WorkingSet / (1 << 20):N0} MB (managed heap {GC.GetGCMemoryInfo().HeapSizeBytes / (1 << 20):N0} MB, committed {GC.GetGCMemoryInfo().TotalCommittedBytes / (1 << 20):N0} MB)");
            if (llamaCpp is not null)
            {
                variants.AddRange(llamaCpp.Variants(threads, options.PromptTokens + options.Steps + 1));
                log($"bench: llama.cpp models loaded, process working set {Environment.WorkingSet / (1 << 20):N0} MB");
            }

            var samples = Interleave(variants, options, Prompt(options.PromptTokens, workspace.Config.VocabSize, options.Seed), log);

            log($"bench: hot swap ({options.Swaps} loads, {options.Swaps} replaces)");
            var swap = SwapBenchmark.Run(swappable, BenchWorkspace.LoraSmall,
                BenchWorkspace.AdapterManifest(workspace.SwappableFolder, BenchWorkspace.LoraSmall),
                Path.Combine(workspace.SwapFolder, BenchWorkspace.LoraSmall + ExportedAdapterManifest.FileSuffix), options.Swaps);

            var settings = Settings(options, workspace.Config, options.ModelPath is null ? options.EffectiveShape : "checkpoint", workspace.Source) with
            {
                Compressed = compressed?.Path,
                LlamaCpp = llamaCpp is not null,
                LlamaCppSkipped = llamaCppSkipped,
                LlamaCppQuantizedSkipped = llamaCpp?.QuantizationSkipped,
            };
            return Report(variants, samples, options, settings, swap, compressed, factory, llamaCpp is not null, loadStart, clock);
        }
        finally
        {
            foreach (var v in variants) v.Dispose();
            foreach (var m in models) m.Dispose();
        }
    }

    /// <summary>
    /// `bench --model EXPORTED_FOLDER`: times the folder as it was exported, nothing re-exported —
    /// the way to bench a model too large to hold six exports of (a full-size family model): the
    /// folder with no adapter fed ("base"), a second session of it (the control), each of its
    /// exported adapters, and GenAI on the same folder. Hot swap when it has an exported adapter.
    /// llama.cpp and --compressed need the checkpoint's weights and are not run.
    /// </summary>
    static BenchReport RunExported(string folder, BenchOptions options, Action<string> log, Stopwatch clock, double? loadStart)
    {
        var exported = ExportedModel.Open(folder);
        log($"bench: exported folder {exported.Folder} ({exported.Config.Family}, {Core.Model.ModelShapes.Describe(exported.Config)}); llama.cpp not run: it needs the checkpoint's weights");
        var factory = new OnnxSessionFactory(new OnnxRuntimeOptions { IntraOpThreads = options.EffectiveThreads, Provider = options.Provider, Log = log });
        var models = new List<OnnxDecoderModel>();
        var variants = new List<IBenchVariant>();
        try
        {
            log("bench: loading sessions");
            var model = OnnxDecoderModel.Load(exported, factory);
            models.Add(model);
            var control = OnnxDecoderModel.Load(ExportedModel.Open(folder), factory);
            models.Add(control);
            bool hasInputs = exported.Manifest.Adapters is not null;
            variants.Add(new OnnxVariant("base", BenchEngines.BaseKind, model, [], hasInputs ? (_, _) => null : null));
            variants.Add(new OnnxVariant(ControlVariant, BenchEngines.ControlKind, control, [], hasInputs ? (_, _) => null : null));
            var compared = options.CompareWithPath is { } otherFolder ? ComparedExport(exported, otherFolder) : null;
            if (compared is not null)
            {
                log($"bench: compared export {compared.Folder}");
                var other = OnnxDecoderModel.Load(compared, factory);
                models.Add(other);
                variants.Add(new OnnxVariant(ComparedVariant, BenchEngines.ComparedKind, other, [], compared.Manifest.Adapters is not null ? (_, _) => null : null));
            }
            var registry = AdapterRegistry.WithExportedAdapters(exported);
            foreach (string name in registry.Names)
            {
                var lease = registry.Acquire(name);
                var manifest = lease.Adapter.Manifest;
                string kind = manifest.Method switch
                {
                    Core.Adapters.AdapterMethods.LoReft => BenchEngines.LoReftKind,
                    Core.Adapters.AdapterMethods.DiReft => BenchEngines.DiReftKind,
                    _ => BenchEngines.SwappableKind,
                };
                bool lora = kind == BenchEngines.SwappableKind;
                // The labels the headline reads ("swappable LoRA r=8", "LoReFT r=4"); a second adapter of the same kind and rank adds its name.
                string label = kind switch
                {
                    BenchEngines.LoReftKind => $"LoReFT r={manifest.Rank}",
                    BenchEngines.DiReftKind => $"DiReFT r={manifest.Rank}",
                    _ => lora && manifest.Method == Core.Adapters.AdapterMethods.Lora ? $"swappable LoRA r={manifest.Rank}" : $"swappable {manifest.Method} r={manifest.Rank}",
                };
                if (variants.Any(v => v.Name == label)) label += $" ({name})";
                variants.Add(new OnnxVariant(label, kind, model, [lease], (_, _) => lease.Adapter, loraRank: lora ? manifest.Rank : 0));
            }
#if ONNXRUNTIME_GPU
            log("bench: ONNX Runtime GenAI is not part of the Gpu build: not timed");
#else
            if (options.IncludeGenAi) variants.Add(new GenAiVariant("GenAI base", BenchEngines.BaseKind, exported.Folder));
            if (options.IncludeGenAi && compared is not null) variants.Add(new GenAiVariant(GenAiComparedVariant, BenchEngines.ComparedKind, compared.Folder));
#endif
            var samples = Interleave(variants, options, Prompt(options.PromptTokens, exported.Config.VocabSize, options.Seed), log);

            SwapResult? swap = null;
            if (registry.Names.FirstOrDefault() is { } first)
            {
                log($"bench: hot swap of {first} ({options.Swaps} loads, {options.Swaps} replaces)");
                string manifestPath = registry.Registered.First(r => r.Name == first).ManifestPath;
                swap = SwapBenchmark.Run(exported, first, manifestPath, manifestPath, options.Swaps);
            }
            var settings = Settings(options, exported.Config, "exported", exported.Folder) with
            {
                CompareWith = compared?.Folder,
                LlamaCppSkipped = options.IncludeLlamaCpp ? "an exported folder holds no checkpoint weights to write as GGUF" : null,
            };
            return Report(variants, samples, options, settings, swap, null, factory, llamaCppRan: false, loadStart, clock);
        }
        finally
        {
            foreach (var v in variants) v.Dispose();
            foreach (var m in models) m.Dispose();
        }
    }

    static BenchSettings Settings(BenchOptions options, Core.Model.LlamaConfig config, string shape, string source) => new()
    {
        Shape = shape,
        Model = source,
        Family = config.Family,
        Dim = config.Dim,
        HeadDim = config.HeadSize,
        Layers = config.NumLayers,
        Vocab = config.VocabSize,
        Parameters = config.ParameterCount(),
        Quick = options.Quick,
        Steps = options.Steps,
        Rounds = options.Rounds,
        SettleMs = options.EffectiveSettleMs,
        PromptTokens = options.PromptTokens,
        BatchSizes = options.BatchSizes,
        Swaps = options.Swaps,
        GenAi = options.IncludeGenAi,
        Quantized = options.IncludeQuantized,
        PrecisionOnly = options.PrecisionOnly,
        QuantizationBlockSize = options.Quantization.BlockSize,
        QuantizationAccuracyLevel = options.Quantization.AccuracyLevel,
        QuantizationClassifierBits = options.Quantization.ClassifierBits,
        OrderSeed = options.OrderSeed,
    };

    static BenchReport Report(List<IBenchVariant> variants, Dictionary<(IBenchVariant, int), List<GenerationTiming>> samples, BenchOptions options,
        BenchSettings settings, SwapResult? swap, CompressedSource? compressed, OnnxSessionFactory factory, bool llamaCppRan, double? loadStart, Stopwatch clock)
    {
        var results = Summarise(variants, samples, options);
        var headline = Headline(results, swap, options.BatchSizes, compressed);
        AddFusionRatios(headline, results, options.BatchSizes);
        return new BenchReport
        {
            Machine = new MachineInfo
            {
                OnnxRuntimeVersion = OrtEnv.Instance().GetVersionString(),
                GenAiVersion = options.IncludeGenAi ? GenAiPackageVersion : "not run",
                LlamaSharpVersion = llamaCppRan ? LlamaSharpPackageVersion : null,
                Provider = (factory.Provider ?? ExecutionProviderKind.Cpu).ToString(),
                IntraOpThreads = options.EffectiveThreads,
                LoadAverageStart = loadStart,
                LoadAverageEnd = MachineInfo.LoadAverage(),
            },
            Settings = settings,
            Variants = results,
            HotSwap = swap,
            Headline = headline,
            Targets = BenchTargets.Evaluate(headline),
            WallSeconds = clock.Elapsed.TotalSeconds,
        };
    }

    /// <summary>Our engine: base, fused, swappable (none, r=8, r=64), ReFT, and batched mixes; returns the swappable LoRA model.</summary>
    static OnnxDecoderModel AddOurVariants(List<IBenchVariant> variants, BenchWorkspace w, Func<string, OnnxDecoderModel> load, int fullBatch)
    {
        var baseModel = load(w.BaseFolder);
        var fused = load(w.FusedFolder);
        var swappable = load(w.SwappableFolder);
        var reft = load(w.ReftFolder);
        var batched = load(w.BatchedFolder);
        variants.Add(new OnnxVariant("base", BenchEngines.BaseKind, baseModel, [], null));
        variants.Add(new OnnxVariant(ControlVariant, BenchEngines.ControlKind, load(w.BaseFolder), [], null));
        variants.Add(new OnnxVariant("fused LoRA r=8", BenchEngines.FusedKind, fused, [], null, loraRank: BenchWorkspace.SmallRank));
        variants.Add(new OnnxVariant("swappable, no adapter", BenchEngines.SwappableNoAdapterKind, swappable, [], (_, _) => null));
        var swapRegistry = AdapterRegistry.WithExportedAdapters(swappable.Exported);
        foreach (var (name, rank) in new[] { (BenchWorkspace.LoraSmall, BenchWorkspace.SmallRank), (BenchWorkspace.LoraLarge, w.LargeRankUsed) })
        {
            var lease = swapRegistry.Acquire(name);
            variants.Add(new OnnxVariant($"swappable LoRA r={rank}", BenchEngines.SwappableKind, swappable, [lease], (_, _) => lease.Adapter, loraRank: rank));
        }
        var reftRegistry = AdapterRegistry.WithExportedAdapters(reft.Exported);
        foreach (var (name, label, kind) in new[] { (BenchWorkspace.LoReft, "LoReFT r=4", BenchEngines.LoReftKind), (BenchWorkspace.DiReft, "DiReFT r=4", BenchEngines.DiReftKind) })
        {
            var lease = reftRegistry.Acquire(name);
            variants.Add(new OnnxVariant(label, kind, reft, [lease], (_, _) => lease.Adapter));
        }
        var batchedRegistry = AdapterRegistry.WithExportedAdapters(batched.Exported);
        var batchedLeases = Enumerable.Range(0, BenchWorkspace.BatchedAdapters).Select(i => batchedRegistry.Acquire(BenchWorkspace.BatchedName(i))).ToList();
        bool first = true;
        foreach (int distinct in DistinctCounts.Where(d => d <= fullBatch))
        {
            int d = distinct;
            // The first batched variant owns the leases; the others borrow them.
            variants.Add(new OnnxVariant($"batched LoRA r=8, {d} adapter{(d == 1 ? "" : "s")}", BenchEngines.BatchedKind, batched, first ? batchedLeases : [],
                (row, _) => batchedLeases[row % d].Adapter, loraRank: BenchWorkspace.SmallRank, distinctAdapters: d, onlyBatch: fullBatch));
            first = false;
        }
        return swappable;
    }

    /// <summary>--precision-only: our fp32 base, its control and swappable LoRA r=8; returns the swappable model.</summary>
    static ExportedModel AddPrecisionVariants(List<IBenchVariant> variants, BenchWorkspace w, Func<string, OnnxDecoderModel> load)
    {
        variants.Add(new OnnxVariant("base", BenchEngines.BaseKind, load(w.BaseFolder), [], null));
        variants.Add(new OnnxVariant(ControlVariant, BenchEngines.ControlKind, load(w.BaseFolder), [], null));
        var swappable = load(w.SwappableFolder);
        var lease = AdapterRegistry.WithExportedAdapters(swappable.Exported).Acquire(BenchWorkspace.LoraSmall);
        variants.Add(new OnnxVariant(SwappableLoraVariant, BenchEngines.SwappableKind, swappable, [lease], (_, _) => lease.Adapter, loraRank: BenchWorkspace.SmallRank));
        return swappable.Exported;
    }

    /// <summary>Our int8 and int4 bases and swappable LoRA r=8 on int4, all from the run's weights (and the run's lora-r8).</summary>
    static void AddQuantizedVariants(List<IBenchVariant> variants, BenchWorkspace w, Func<string, OnnxDecoderModel> load)
    {
        foreach (int bits in BenchWorkspace.QuantizedBits)
            variants.Add(new OnnxVariant(QuantizedVariant(bits), BenchEngines.QuantizedKind, load(w.QuantizedFolder(bits)), [], null));
        var model = load(w.QuantizedSwappableFolder);
        var lease = AdapterRegistry.WithExportedAdapters(model.Exported).Acquire(BenchWorkspace.LoraSmall);
        variants.Add(new OnnxVariant(QuantizedLoraVariant, BenchEngines.QuantizedLoraKind, model, [lease], (_, _) => lease.Adapter, loraRank: BenchWorkspace.SmallRank));
    }

    public static string QuantizedVariant(int bits) => $"int{bits}";
    public static string FusionVariant(string set) => $"--fuse {set}";
    public static string GenAiFusionVariant(string set) => $"GenAI --fuse {set}";
    public static readonly string QuantizedLoraVariant = $"int{BenchWorkspace.QuantizedLoraBits} swappable LoRA r={BenchWorkspace.SmallRank}";
    public const string SwappableLoraVariant = "swappable LoRA r=8";

#if !ONNXRUNTIME_GPU
    /// <summary>The peer on the same folders and the same .onnx_adapter files.</summary>
    static void AddGenAiVariants(List<IBenchVariant> variants, BenchWorkspace w, bool fusions)
    {
        variants.Add(new GenAiVariant("GenAI base", BenchEngines.BaseKind, w.BaseFolder));
        variants.Add(new GenAiVariant("GenAI swappable, no adapter", BenchEngines.SwappableNoAdapterKind, w.SwappableFolder));
        variants.Add(new GenAiVariant("GenAI LoRA r=8", BenchEngines.SwappableKind, w.SwappableFolder,
            BenchWorkspace.AdapterFile(w.SwappableFolder, BenchWorkspace.LoraSmall), BenchWorkspace.LoraSmall, BenchWorkspace.SmallRank));
        variants.Add(new GenAiVariant($"GenAI LoRA r={w.LargeRankUsed}", BenchEngines.SwappableKind, w.SwappableFolder,
            BenchWorkspace.AdapterFile(w.SwappableFolder, BenchWorkspace.LoraLarge), BenchWorkspace.LoraLarge, w.LargeRankUsed));
        if (fusions)
            foreach (string set in BenchWorkspace.FusionSets(w.Config))
                variants.Add(new GenAiVariant(GenAiFusionVariant(set), BenchEngines.FusionKind, w.FusionFolder(set)));
    }
#endif

    /// <summary>
    /// The Microsoft.ML.OnnxRuntimeGenAI package version (Directory.Packages.props): its managed
    /// assembly is stamped 0.0.0.0 and exposes no version API, so keep this in step with the props.
    /// </summary>
    const string GenAiPackageVersion = "0.18.0";

    /// <summary>LLamaSharp and LLamaSharp.Backend.Cpu (Directory.Packages.props), kept in step by hand like GenAI's.</summary>
    const string LlamaSharpPackageVersion = "0.30.0";

    /// <summary>BOS then seeded ids from the vocabulary (special ids 0–2 avoided).</summary>
    static int[] Prompt(int length, int vocab, int seed)
    {
        var rng = new Random(seed);
        return [1, .. Enumerable.Range(1, length - 1).Select(_ => rng.Next(3, vocab))];
    }

    /// <summary>
    /// One warm-up pass, then <see cref="BenchOptions.Rounds"/> timed passes; in each pass every
    /// batch size runs every variant once, in a new seeded random order each round. A fixed cyclic
    /// order gave every variant the same predecessor in every round, and what runs just before a
    /// session (its own session or another one, our engine or GenAI) shifts its timing by a few
    /// percent — a bias that shuffling turns into noise the rounds average out.
    /// </summary>
    static Dictionary<(IBenchVariant, int), List<GenerationTiming>> Interleave(List<IBenchVariant> variants, BenchOptions options, int[] prompt, Action<string> log)
    {
        var samples = new Dictionary<(IBenchVariant, int), List<GenerationTiming>>();
        var order = new Random(options.OrderSeed ?? options.Seed);
        for (int round = -1; round < options.Rounds; round++)
        {
            bool warmUp = round < 0;
            log(warmUp ? "bench: warm-up pass" : $"bench: round {round + 1}/{options.Rounds}");
            foreach (int batch in options.BatchSizes)
            {
                var eligible = variants.Where(v => v.Supports(batch)).ToArray();
                if (!warmUp) order.Shuffle(eligible);
                foreach (var v in eligible)
                {
                    if (!warmUp && options.EffectiveSettleMs > 0) Thread.Sleep(options.EffectiveSettleMs); // let the previous variant's spinning workers sleep (BenchOptions.SettleMs)
                    var timing = v.Run(batch, prompt, warmUp ? Math.Min(WarmUpSteps, options.Steps) : options.Steps);
                    if (warmUp) continue;
                    if (!samples.TryGetValue((v, batch), out var list)) samples[(v, batch)] = list = [];
                    list.Add(timing);
                }
            }
        }
        return samples;
    }

    static List<VariantResult> Summarise(List<IBenchVariant> variants, Dictionary<(IBenchVariant, int), List<GenerationTiming>> samples, BenchOptions options)
    {
        var raw = new List<(IBenchVariant Variant, int Batch, LatencyStats Ttft, LatencyStats Step, double TokensPerSecond, int Count, double[] RoundP50s, double? WithinRoundsP90OverP50)>();
        foreach (int batch in options.BatchSizes)
            foreach (var v in variants)
            {
                if (!samples.TryGetValue((v, batch), out var runs)) continue;
                var steps = runs.SelectMany(r => r.StepMs).ToList();
                double seconds = steps.Sum() / 1000;
                var rounds = runs.Select(r => LatencyStats.Of(r.StepMs)).ToArray();
                raw.Add((v, batch, LatencyStats.Of(runs.Select(r => r.TimeToFirstTokenMs).ToList()), LatencyStats.Of(steps),
                    seconds > 0 ? steps.Count * batch / seconds : 0, runs.Count, rounds.Select(r => r.P50Ms).ToArray(),
                    Median(rounds.Where(r => r.P50Ms > 0).Select(r => r.P90Ms / r.P50Ms))));
            }
        return raw.Select(r =>
        {
            var baseline = raw.FirstOrDefault(b => b.Variant.Engine == r.Variant.Engine && b.Variant.Kind == BenchEngines.BaseKind && b.Batch == r.Batch);
            bool has = baseline.Variant is not null;
            return new VariantResult
            {
                Name = r.Variant.Name,
                Engine = r.Variant.Engine,
                Kind = r.Variant.Kind,
                LoraRank = r.Variant.LoraRank,
                DistinctAdapters = r.Variant.DistinctAdapters,
                Batch = r.Batch,
                Generations = r.Count,
                TimeToFirstToken = r.Ttft,
                DecodeStep = r.Step,
                TokensPerSecond = r.TokensPerSecond,
                DecodeOverhead = has ? r.Step.P50Ms / baseline.Step.P50Ms : null,
                DecodeOverheadPaired = has ? PairedRatio(r.RoundP50s, baseline.RoundP50s) : null,
                RoundDecodeP50s = r.RoundP50s,
                DecodeP90OverP50WithinRounds = r.WithinRoundsP90OverP50,
                ThroughputOverhead = has && r.TokensPerSecond > 0 ? baseline.TokensPerSecond / r.TokensPerSecond : null,
                TimeToFirstTokenOverhead = has ? r.Ttft.P50Ms / baseline.Ttft.P50Ms : null,
            };
        }).ToList();
    }

    /// <summary>Median of per-round ratios (round i of the variant over round i of the base); rounds run in the same order for both.</summary>
    static double? PairedRatio(IReadOnlyList<double> variant, IReadOnlyList<double> baseline) =>
        Median(variant.Zip(baseline, (v, b) => b > 0 ? v / b : double.NaN));

    /// <summary>The median of the finite values (the mean of the middle two for an even count); null when there are none.</summary>
    static double? Median(IEnumerable<double> values)
    {
        var sorted = values.Where(double.IsFinite).Order().ToArray();
        if (sorted.Length == 0) return null;
        int mid = sorted.Length / 2;
        return sorted.Length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /// <summary>
    /// The --compare-with folder, opened and checked to be an export of the same model: the same
    /// architecture and vocabulary, so the same prompt means the same thing to both.
    /// </summary>
    static ExportedModel ComparedExport(ExportedModel exported, string otherFolder)
    {
        var other = ExportedModel.Open(otherFolder);
        if (other.Config != exported.Config)
            throw new ArgumentException($"--compare-with {otherFolder} is not an export of the same model as {exported.Folder}: "
                + $"{Core.Model.ModelShapes.Describe(other.Config)} against {Core.Model.ModelShapes.Describe(exported.Config)}");
        return other;
    }

    public const string ComparedVariant = "compared export";
    public const string GenAiComparedVariant = "GenAI compared export";
    public const string CompressedVariant = "compressed (SFSD)";
    public const string ControlVariant = "base again (control)";

    static Dictionary<string, double?> Headline(List<VariantResult> results, SwapResult? swap, IReadOnlyList<int> batchSizes, CompressedSource? compressed)
    {
        int single = batchSizes.Min(), full = batchSizes.Max();
        VariantResult? Ours(string name, int batch) => results.FirstOrDefault(v => v.Engine == BenchEngines.Ours && v.Name == name && v.Batch == batch);
        VariantResult? GenAi(string name, int batch) => results.FirstOrDefault(v => v.Engine == BenchEngines.GenAi && v.Name == name && v.Batch == batch);
        VariantResult? LlamaCpp(string name) => results.FirstOrDefault(v => v.Engine == BenchEngines.LlamaCpp && v.Name == name && v.Batch == 1);
        double? StepRatio(VariantResult? a, VariantResult? b) => Ratio(a?.DecodeStep.P50Ms, b?.DecodeStep.P50Ms);
        // Paired by round like the overheads: a's decode p50 over b's, round by round, median.
        double? Paired(VariantResult? a, VariantResult? b) => a is null || b is null ? null : PairedRatio(a.RoundDecodeP50s, b.RoundDecodeP50s);
        VariantResult? OursInt(int bits) => Ours(QuantizedVariant(bits), 1);
        var oursBase1 = results.FirstOrDefault(v => v.Engine == BenchEngines.Ours && v.Name == "base" && v.Batch == 1);
        double? Ratio(double? a, double? b) => a is { } x && b is { } y && y > 0 ? x / y : null;
        VariantResult? LargestRank(string engine) => results.Where(v => v.Engine == engine && v.Kind == BenchEngines.SwappableKind && v.Batch == single).MaxBy(v => v.LoraRank);
        var mixed = results.Where(v => v.Kind == BenchEngines.BatchedKind).ToList();
        var headline = new Dictionary<string, double?>
        {
            ["batch_single"] = single,
            ["batch_full"] = full,
            // A second base session: how far from 1 identical work lands in this run (its resolution).
            ["control_decode_ratio"] = Ours(ControlVariant, single)?.DecodeOverheadPaired,
            ["control_decode_ratio_full_batch"] = Ours(ControlVariant, full)?.DecodeOverheadPaired,
            ["swappable_lora_r8_decode_overhead"] = Ours("swappable LoRA r=8", single)?.DecodeOverheadPaired,
            ["swappable_lora_large_rank_decode_overhead"] = LargestRank(BenchEngines.Ours)?.DecodeOverheadPaired,
            ["swappable_no_adapter_decode_overhead"] = Ours("swappable, no adapter", single)?.DecodeOverheadPaired,
            ["fused_lora_decode_overhead"] = Ours("fused LoRA r=8", single)?.DecodeOverheadPaired,
            ["loreft_decode_overhead"] = Ours("LoReFT r=4", single)?.DecodeOverheadPaired,
            ["direft_decode_overhead"] = Ours("DiReFT r=4", single)?.DecodeOverheadPaired,
            ["loreft_ttft_overhead"] = Ours("LoReFT r=4", single)?.TimeToFirstTokenOverhead,
            ["swappable_lora_r8_decode_overhead_full_batch"] = Ours("swappable LoRA r=8", full)?.DecodeOverheadPaired,
            ["loreft_decode_overhead_full_batch"] = Ours("LoReFT r=4", full)?.DecodeOverheadPaired,
            ["mixed_vs_single_adapter_throughput"] = Ratio(mixed.FirstOrDefault(v => v.DistinctAdapters == BenchWorkspace.BatchedAdapters)?.TokensPerSecond,
                mixed.FirstOrDefault(v => v.DistinctAdapters == 1)?.TokensPerSecond),
            ["hot_swap_p50_ms"] = swap?.Replace.P50Ms,
            ["hot_swap_p99_ms"] = swap?.Replace.P99Ms,
            ["adapter_load_p50_ms"] = swap?.Load.P50Ms,
            ["ours_vs_genai_base_tokens_per_second"] = Ratio(Ours("base", single)?.TokensPerSecond, GenAi("GenAI base", single)?.TokensPerSecond),
            ["ours_vs_genai_base_tokens_per_second_full_batch"] = Ratio(Ours("base", full)?.TokensPerSecond, GenAi("GenAI base", full)?.TokensPerSecond),
            ["ours_vs_genai_lora_r8_tokens_per_second"] = Ratio(Ours("swappable LoRA r=8", single)?.TokensPerSecond, GenAi("GenAI LoRA r=8", single)?.TokensPerSecond),
            ["genai_lora_r8_decode_overhead"] = GenAi("GenAI LoRA r=8", single)?.DecodeOverheadPaired,
            ["genai_lora_large_rank_decode_overhead"] = LargestRank(BenchEngines.GenAi)?.DecodeOverheadPaired,
            // llama.cpp, batch 1: its decode ms/token p50 over our fp32 base's (< 1 = llama.cpp faster), and its LoRA r=8 overhead per precision.
            ["llamacpp_f32_vs_ours_base_decode_ms"] = StepRatio(LlamaCpp("llama.cpp F32"), oursBase1),
            ["llamacpp_q8_0_vs_ours_base_decode_ms"] = StepRatio(LlamaCpp("llama.cpp Q8_0"), oursBase1),
            ["llamacpp_q4_0_vs_ours_base_decode_ms"] = StepRatio(LlamaCpp("llama.cpp Q4_0"), oursBase1),
            ["llamacpp_lora_r8_f32_decode_overhead"] = LlamaCpp("llama.cpp F32 + LoRA r=8")?.DecodeOverheadPaired,
            ["llamacpp_lora_r8_q4_0_decode_overhead"] = Paired(LlamaCpp("llama.cpp Q4_0 + LoRA r=8"), LlamaCpp("llama.cpp Q4_0")),
            // Ours quantized, batch 1: decode p50 over our fp32 base's (< 1 = faster), and LoRA r=8 on int4 over int4.
            ["int8_vs_fp32_decode"] = OursInt(8)?.DecodeOverheadPaired,
            ["int4_vs_fp32_decode"] = OursInt(4)?.DecodeOverheadPaired,
            ["int4_swappable_lora_r8_decode_overhead"] = Paired(Ours(QuantizedLoraVariant, 1), OursInt(4)),
            // The issue's targets: our tokens/s over llama.cpp's on the same weights at each precision (>= 1 = at least as fast).
            ["ours_fp32_vs_llamacpp_f32_tokens_per_second"] = Paired(LlamaCpp("llama.cpp F32"), oursBase1),
            ["ours_int8_vs_llamacpp_q8_0_tokens_per_second"] = Paired(LlamaCpp("llama.cpp Q8_0"), OursInt(8)),
            ["ours_int4_vs_llamacpp_q4_0_tokens_per_second"] = Paired(LlamaCpp("llama.cpp Q4_0"), OursInt(4)),
            // Compressed vs dense base: decode step and prefill (time to first token), < 1 = faster.
            ["compressed_decode_ratio"] = Ours(CompressedVariant, single)?.DecodeOverheadPaired,
            ["compressed_prefill_ratio"] = Ours(CompressedVariant, single)?.TimeToFirstTokenOverhead,
            ["compressed_decode_ratio_full_batch"] = Ours(CompressedVariant, full)?.DecodeOverheadPaired,
            ["compressed_prefill_ratio_full_batch"] = Ours(CompressedVariant, full)?.TimeToFirstTokenOverhead,
            ["compressed_parameter_ratio"] = compressed?.ParameterRatio,
            // --compare-with: the second export's decode p50 over the folder's, paired by round (< 1 = the compared export is faster), ours and GenAI's.
            ["compared_export_decode_ratio"] = Ours(ComparedVariant, single)?.DecodeOverheadPaired,
            ["compared_export_decode_ratio_full_batch"] = Ours(ComparedVariant, full)?.DecodeOverheadPaired,
            ["genai_compared_export_decode_ratio"] = GenAi(GenAiComparedVariant, single)?.DecodeOverheadPaired,
            ["compressed_projection_parameter_ratio"] = compressed?.ProjectionParameterRatio,
        };
        // The batch-1 step-time distribution of each engine's base: what a user of one stream feels.
        AddTail(headline, "ours_base", oursBase1);
        AddTail(headline, "control", Ours(ControlVariant, single)); // identical work: the tails' resolution
        AddTail(headline, "genai_base", GenAi("GenAI base", single));
        AddTail(headline, "llamacpp_f32", LlamaCpp("llama.cpp F32"));
        AddTail(headline, "llamacpp_q8_0", LlamaCpp("llama.cpp Q8_0"));
        AddTail(headline, "llamacpp_q4_0", LlamaCpp("llama.cpp Q4_0"));
        return headline;
    }

    /// <summary>
    /// Each fusion set's decode p50 over the engine's base (paired by round; &lt; 1 = faster than the
    /// export default), ours at batch 1 and full and GenAI's at batch 1, and our tokens/s over
    /// GenAI's on the same fused folder: fuse_&lt;set&gt;_decode_ratio and friends, set as in --fuse
    /// with '-' and ',' as '_'.
    /// </summary>
    static void AddFusionRatios(Dictionary<string, double?> headline, List<VariantResult> results, IReadOnlyList<int> batchSizes)
    {
        int single = batchSizes.Min(), full = batchSizes.Max();
        foreach (var set in results.Where(v => v.Engine == BenchEngines.Ours && v.Kind == BenchEngines.FusionKind).Select(v => v.Name["--fuse ".Length..]).Distinct())
        {
            string key = set.Replace('-', '_').Replace(',', '_');
            VariantResult? Find(string engine, string name, int batch) => results.FirstOrDefault(v => v.Engine == engine && v.Name == name && v.Batch == batch);
            var ours1 = Find(BenchEngines.Ours, FusionVariant(set), single);
            var genai1 = Find(BenchEngines.GenAi, GenAiFusionVariant(set), single);
            headline[$"fuse_{key}_decode_ratio"] = ours1?.DecodeOverheadPaired;
            headline[$"fuse_{key}_decode_ratio_full_batch"] = Find(BenchEngines.Ours, FusionVariant(set), full)?.DecodeOverheadPaired;
            headline[$"genai_fuse_{key}_decode_ratio"] = genai1?.DecodeOverheadPaired;
            headline[$"ours_vs_genai_fuse_{key}_tokens_per_second"] = ours1 is not null && genai1 is { TokensPerSecond: > 0 } ? ours1.TokensPerSecond / genai1.TokensPerSecond : null;
        }
    }

    /// <summary>p50 (ms) and p90, p99 and mean over p50 of a variant's decode steps, and p90 over p50 within rounds; null when the variant did not run.</summary>
    static void AddTail(Dictionary<string, double?> headline, string prefix, VariantResult? v)
    {
        var step = v?.DecodeStep;
        bool has = step is { Count: > 0, P50Ms: > 0 };
        headline[$"{prefix}_decode_p50_ms"] = has ? step!.P50Ms : null;
        headline[$"{prefix}_decode_p90_over_p50"] = has ? step!.P90Ms / step.P50Ms : null;
        headline[$"{prefix}_decode_p99_over_p50"] = has ? step!.P99Ms / step.P50Ms : null;
        headline[$"{prefix}_decode_mean_over_p50"] = has ? step!.MeanMs / step.P50Ms : null;
        headline[$"{prefix}_decode_p90_over_p50_within_rounds"] = has ? v!.DecodeP90OverP50WithinRounds : null;
    }
}
