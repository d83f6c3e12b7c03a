using System.CommandLine;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;
using Adapters.Core.Tokenizers;
using Adapters.Training.Benchmarks;
using Adapters.Training.Compression;
using Adapters.Training.Trainer;

namespace Adapters.Cli.Commands;

/// <summary>
/// `adapters compress`: surgical feature-space decomposition (SFSD) — each projection W replaced
/// by two smaller matrices, rank per layer chosen greedily from the last layer backwards under a
/// perplexity budget; writes a compressed HF checkpoint that export and runtime load like any
/// other. `--compare` instead prints feature- vs weight-space perplexity at equal parameter budgets.
/// `--rank-fraction` skips the search (fixed fraction of each break-even rank) and `--shape`
/// compresses random weights; either way compressed_from.json records the dense source for bench.
/// </summary>
public static class CompressCommand
{
    /// <summary>The 32k-vocabulary LLaMA 2 tokenizer, for random weights of the 15M/42M/110M shapes.</summary>
    public const string DefaultLlama2Tokenizer = "../shared/models/llama2-tokenizer/tokenizer.model";

    /// <summary>Vocabulary of the LLaMA 2 tokenizer.</summary>
    const int Llama2Vocab = 32000;

    public static Command Create(CliConsole console)
    {
        var model = new Option<string?>("--model") { Description = $"dense checkpoint (default {PipelineCommand.DefaultModel} unless --shape)" };
        var shape = new Option<string?>("--shape") { Description = "random weights of a named shape (260K, 15M, 42M, 110M) instead of --model" };
        var seed = new Option<int>("--seed") { Description = "seed of the --shape random weights (bench with the same --seed)", DefaultValueFactory = _ => 0 };
        var rankFraction = new Option<double?>("--rank-fraction") { Description = "0 < F < 1: every projection at F × its break-even rank instead of the perplexity-budget search (for random weights)" };
        var tokenizer = CommonOptions.Tokenizer();
        var method = new Option<string>("--method") { Description = "sfsd-feature (eigenvectors of the output covariance) or sfsd-weight (SVD of W)", DefaultValueFactory = _ => "sfsd-feature" };
        method.AcceptOnlyFromAmong("sfsd-feature", "sfsd-weight");
        var budget = new Option<double>("--budget") { Description = "allowed relative increase of held-out perplexity, e.g. 0.1 = +10%", DefaultValueFactory = _ => 0.1 };
        var calibration = new Option<string>("--calibration") { Description = "calibration text file", DefaultValueFactory = _ => "tests/data/stories_calibration.txt" };
        var heldOut = new Option<string>("--held-out") { Description = "held-out text file for perplexity", DefaultValueFactory = _ => "tests/data/stories_heldout.txt" };
        var output = new Option<string?>("--out") { Description = "compressed checkpoint folder (Hugging Face layout with factorised projections)" };
        var compare = new Option<bool>("--compare") { Description = "print feature- vs weight-space perplexity at rank fractions 0.75/0.5/0.25 instead of compressing" };
        var threads = CommonOptions.Threads();
        var command = new Command("compress", "Compress a model by surgical feature-space decomposition (SFSD).")
        {
            model, shape, seed, rankFraction, tokenizer, method, budget, calibration, heldOut, output, compare, threads,
        };
        command.SetAction(parse => console.Guard(() =>
        {
            // --compare prints a comparison and writes nothing; --rank-fraction replaces the budget search; --seed seeds --shape's weights.
            if (parse.GetValue(compare) && parse.FirstGiven(output, method, budget, rankFraction) is { } notCompared)
                throw new ArgumentException($"{notCompared.Name} does not apply to --compare, which compares both methods at fixed rank fractions and writes nothing");
            if (parse.IsGiven(rankFraction) && parse.IsGiven(budget))
                throw new ArgumentException("--budget sets the perplexity-budget search, which --rank-fraction replaces; give one of them");
            if (parse.IsGiven(seed) && parse.GetValue(shape) is null)
                throw new ArgumentException("--seed seeds the random weights of --shape; a --model checkpoint has its own weights");
            var options = new SfsdOptions
            {
                Mode = parse.GetValue(method) == "sfsd-weight" ? SfsdMode.Weight : SfsdMode.Feature,
                PerplexityBudget = parse.GetValue(budget), Threads = parse.GetValue(threads),
            }.Validate();
            double? fraction = parse.GetValue(rankFraction);
            if (fraction is { } f && !(f is > 0 and < 1)) throw new ArgumentException($"--rank-fraction must be in (0, 1) (a fraction of the break-even rank), got {f}");
            string? shapeName = parse.GetValue(shape);
            string? modelPath = parse.GetValue(model);
            if (shapeName is not null && modelPath is not null) throw new ArgumentException("give --model or --shape, not both");
            if (shapeName is null) modelPath ??= PipelineCommand.DefaultModel;
            int seedValue = parse.GetValue(seed);
            var weights = shapeName is not null ? RandomCheckpoint.Create(ModelShapes.Get(shapeName), seedValue) : CheckpointLoader.Load(modelPath!);
            int vocab = weights.Config.VocabSize;
            string tokenizerPath = parse.GetValue(tokenizer) ?? (modelPath is not null ? TokenizerLocator.FindBeside(modelPath, vocab) : DefaultTokenizerFor(vocab));
            var tok = TokenizerLoader.Load(tokenizerPath, vocab);
            var calibrationTokens = tok.Encode(ReadText(parse.GetValue(calibration)!));
            var heldOutTokens = tok.Encode(ReadText(parse.GetValue(heldOut)!));
            if (parse.GetValue(compare))
            {
                PrintComparison(console, weights, calibrationTokens, heldOutTokens, parse.GetValue(threads));
                return 0;
            }
            string outDir = parse.GetValue(output) ?? throw new ArgumentException("--out is required unless --compare is given");
            var provenance = new CompressionProvenance
            {
                Model = modelPath is null ? null : Path.GetFullPath(modelPath),
                Shape = shapeName, Seed = shapeName is null ? null : seedValue,
                Method = parse.GetValue(method)!, Fingerprint = ModelFingerprint.Of(weights),
            };
            if (fraction is { } rankF)
            {
                console.Info($"compress: {options.Mode} SFSD, every projection at {rankF} × its break-even rank");
                var fixedResult = SfsdCompressor.CompressAtFraction(weights, calibrationTokens, heldOutTokens, options.Mode, rankF, threads: options.Threads);
                HfCheckpoint.Write(fixedResult.Weights, outDir);
                provenance.Write(outDir);
                console.Out.WriteLine($"compressed checkpoint: {outDir} (bench it with: adapters bench --compressed {outDir} {provenance.BenchArguments})");
                console.Out.WriteLine($"perplexity {fixedResult.BasePerplexity:F3} → {fixedResult.Perplexity:F3}; projection parameters {fixedResult.ProjectionParametersBefore:N0} → {fixedResult.ProjectionParametersAfter:N0} ({fixedResult.ParameterRatio:P1})");
                console.Out.WriteLine("ranks: " + string.Join(", ", fixedResult.Layers.Where(l => l.Layer == 0).Reverse().Select(l => $"{l.Projection} {l.Rank}")) + " (every layer)");
                return 0;
            }
            console.Info($"compress: {options.Mode} SFSD, budget +{options.PerplexityBudget:P0} held-out perplexity, layers from last to first");
            var result = SfsdCompressor.Compress(weights, calibrationTokens, heldOutTokens, options);
            HfCheckpoint.Write(result.Weights, outDir);
            provenance.Write(outDir);

            console.Out.WriteLine($"compressed checkpoint: {outDir} (bench it with: adapters bench --compressed {outDir} {provenance.BenchArguments})");
            console.Out.WriteLine($"perplexity {result.BasePerplexity:F3} → {result.Perplexity:F3} (+{result.Perplexity / result.BasePerplexity - 1:P1}); projection parameters {result.ProjectionParametersBefore:N0} → {result.ProjectionParametersAfter:N0} ({result.ParameterRatio:P1})");
            console.Out.WriteLine();
            console.Out.WriteLine("| layer | projection | rank | parameters (dense → stored) | perplexity after |");
            console.Out.WriteLine("| ---: | --- | ---: | ---: | ---: |");
            foreach (var l in result.Layers.Where(l => l.Rank is not null))
                console.Out.WriteLine($"| {l.Layer} | {l.Projection} | {l.Rank} | {l.DenseParameters:N0} → {l.StoredParameters:N0} | {l.Perplexity:F3} |");
            console.Out.WriteLine($"({result.Layers.Count(l => l.Rank is null)} projections stay dense: no rank kept perplexity within budget below the break-even rank mn/(m+n))");
            return 0;
        }));
        return command;
    }

    static void PrintComparison(CliConsole console, Core.Model.LlamaWeights weights, IReadOnlyList<int> calibration, IReadOnlyList<int> heldOut, int? threads)
    {
        double[] fractions = [0.75, 0.5, 0.25];
        var rows = new ProgressReporter(console).Run("sfsd-compare", fractions.Length * 2, report =>
        {
            int done = 0;
            return ResearchBenchmark.CompareSfsd(weights, calibration, heldOut, fractions, threads: threads,
                onRow: r => report(++done, $"{r.Mode} at {r.RankFraction}: perplexity {r.Perplexity:F2}"));
        });
        console.Out.WriteLine($"base perplexity: {rows[0].BasePerplexity:F3} (held-out text, {heldOut.Count} tokens)");
        console.Out.WriteLine();
        console.Out.WriteLine("| rank fraction | mode | projection params | kept | perplexity | perplexity / base |");
        console.Out.WriteLine("| ---: | --- | ---: | ---: | ---: | ---: |");
        foreach (var r in rows)
            console.Out.WriteLine($"| {r.RankFraction} | {r.Mode} | {r.ProjectionParametersAfter:N0} | {(double)r.ProjectionParametersAfter / r.ProjectionParametersBefore:P1} | {r.Perplexity:F2} | {r.Perplexity / r.BasePerplexity:F2} |");
    }

    /// <summary>Random weights have no tokenizer beside them: the one their vocabulary was made for.</summary>
    static string DefaultTokenizerFor(int vocab) => vocab switch
    {
        Llama2Vocab => DefaultLlama2Tokenizer,
        _ when vocab == ModelShapes.Get("260K").VocabSize => PipelineCommand.DefaultTokenizer,
        _ => throw new ArgumentException($"no default tokenizer for a {vocab}-token vocabulary; pass --tokenizer"),
    };

    static string ReadText(string path) =>
        File.Exists(path) ? File.ReadAllText(path) : throw new FileNotFoundException($"{path}: text file not found", path);
}
