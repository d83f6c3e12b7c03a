using System.CommandLine;
using Adapters.Core.Checkpoints;
using Adapters.Core.Tokenizers;
using Adapters.Training.Compression;
using Adapters.Training.Trainer;

namespace Adapters.Cli.Commands;

/// <summary>
/// `adapters compress`: surgical feature-space decomposition (SFSD) — each projection W replaced
/// by two smaller matrices, rank per layer chosen greedily from the last layer backwards under a
/// perplexity budget; writes a compressed HF checkpoint that export and runtime load like any
/// other. `--compare` instead prints feature- vs weight-space perplexity at equal parameter budgets.
/// </summary>
public static class CompressCommand
{
    public static Command Create(CliConsole console)
    {
        var model = new Option<string>("--model") { Description = "checkpoint", DefaultValueFactory = _ => PipelineCommand.DefaultModel };
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
            model, tokenizer, method, budget, calibration, heldOut, output, compare, threads,
        };
        command.SetAction(parse => console.Guard(() =>
        {
            var options = new SfsdOptions
            {
                Mode = parse.GetValue(method) == "sfsd-weight" ? SfsdMode.Weight : SfsdMode.Feature,
                PerplexityBudget = parse.GetValue(budget), Threads = parse.GetValue(threads),
            }.Validate();
            string modelPath = parse.GetValue(model)!;
            var weights = CheckpointLoader.Load(modelPath);
            var tok = TokenizerLoader.Load(parse.GetValue(tokenizer) ?? TokenizerLocator.FindBeside(modelPath, weights.Config.VocabSize), weights.Config.VocabSize);
            var calibrationTokens = tok.Encode(ReadText(parse.GetValue(calibration)!));
            var heldOutTokens = tok.Encode(ReadText(parse.GetValue(heldOut)!));
            if (parse.GetValue(compare))
            {
                PrintComparison(console, weights, calibrationTokens, heldOutTokens, parse.GetValue(threads));
                return 0;
            }
            string outDir = parse.GetValue(output) ?? throw new ArgumentException("--out is required unless --compare is given");
            console.Info($"compress: {options.Mode} SFSD, budget +{options.PerplexityBudget:P0} held-out perplexity, layers from last to first");
            var result = SfsdCompressor.Compress(weights, calibrationTokens, heldOutTokens, options);
            HfCheckpoint.Write(result.Weights, outDir);

            console.Out.WriteLine($"compressed checkpoint: {outDir}");
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

    static string ReadText(string path) =>
        File.Exists(path) ? File.ReadAllText(path) : throw new FileNotFoundException($"{path}: text file not found", path);
}
