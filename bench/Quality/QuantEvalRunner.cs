using Adapters.Core.Checkpoints;
using Adapters.Core.Exported;
using Adapters.Core.Generation;
using Adapters.Core.Tokenizers;
using Adapters.Export;
using Adapters.Export.AdapterExport;
using Adapters.Export.Quantization;
using Adapters.Runtime;
using Adapters.Runtime.Serving;

namespace Adapters.Bench.Quality;

/// <summary>
/// `adapters quant-eval`: exports one checkpoint fp32, int8 and int4 (with the adapter swappable
/// beside it, when given), runs each through our runtime and compares the quantized ones with
/// fp32: held-out perplexity, greedy agreement over N tokens from BOS, and the adapter's
/// held-out answers (still right?) and its greedy agreement with the fp32 adapter on them.
/// </summary>
public static class QuantEvalRunner
{
    const string AdapterName = "adapter";

    /// <summary>Tokens past the completion's own length a greedy answer may use (a tokenizer may split it differently in context).</summary>
    const int AnswerSlack = 4;

    public static QuantEvalReport Run(QuantEvalOptions options, Action<string> log)
    {
        options = options.Validate();
        var weights = CheckpointLoader.Load(options.ModelPath);
        var tokenizer = TokenizerLoader.Load(options.TokenizerPath, weights.Config.VocabSize);
        var sequences = options.TextFiles.SelectMany(File.ReadLines).Where(l => !string.IsNullOrWhiteSpace(l))
            .Select(l => tokenizer.Encode(l.Trim(), addBos: true)).ToList();
        int heldOutTokens = sequences.Sum(s => Math.Max(0, s.Count - 1));
        int threads = options.Threads > 0 ? options.Threads : Environment.ProcessorCount;
        var runtime = new OnnxRuntimeOptions { IntraOpThreads = threads, Log = log };
        IReadOnlyList<int> bos = tokenizer.BosId >= 0 ? [tokenizer.BosId] : throw new ArgumentException("the tokenizer has no BOS token to start greedy generation from");

        var precisions = new (string Name, QuantizationOptions? Quantization)[]
        {
            ("fp32", null),
            ("int8", options.Quantization with { Bits = 8 }),
            ("int4", options.Quantization with { Bits = 4 }),
        };
        var rows = new List<QuantEvalRow>();
        double fp32Perplexity = 0;
        int[] fp32Greedy = [];
        List<int[]> fp32Answers = [];
        foreach (var (name, quantization) in precisions)
        {
            string folder = Path.Combine(options.OutputFolder, name);
            log($"quant-eval: export {name} → {folder}");
            var modelOptions = new LlamaExportOptions { IntraOpThreads = threads, Quantization = quantization, TokenizerPath = options.TokenizerPath };
            ExportedModelManifest manifest = options.AdapterPath is { } adapterPath
                ? AdapterExporter.Export(weights, AdapterExporter.ReadSources(weights, [adapterPath]).Select(s => s with { Name = AdapterName }).ToList(), folder,
                    new AdapterExportOptions { Mode = AdapterExportMode.Swappable, Model = modelOptions }).Model
                : LlamaOnnxExporter.Export(weights, folder, modelOptions);
            using var model = OnnxDecoderModel.Load(folder, runtime);
            var registry = options.AdapterPath is null ? null : AdapterRegistry.WithExportedAdapters(model.Exported);
            using IDecoderModel baseModel = registry is null ? new BorrowedModel(model) : new OnnxAdapterModel(model, registry, null);

            log($"quant-eval: {name}: perplexity, greedy {options.Tokens} tokens");
            double perplexity = LanguageModelScores.Perplexity(baseModel, sequences);
            int[] greedy = LanguageModelScores.Greedy(baseModel, bos, options.Tokens);
            if (quantization is null)
            {
                fp32Perplexity = perplexity;
                fp32Greedy = greedy;
            }
            var row = new QuantEvalRow
            {
                Precision = name,
                RelativeWeightError = manifest.Quantization?.RelativeError ?? 0,
                Perplexity = perplexity,
                PerplexityRatio = perplexity / fp32Perplexity,
                GreedyAgreement = LanguageModelScores.Agreement(baseModel, bos, fp32Greedy),
                IdenticalGreedyPrefix = LanguageModelScores.CommonPrefix(greedy, fp32Greedy),
            };
            if (registry is not null)
            {
                using var adapted = new OnnxAdapterModel(model, registry, AdapterName);
                var answers = options.AdapterExamples.Select(e =>
                {
                    var prompt = tokenizer.Encode(e.Prompt, addBos: true);
                    int budget = tokenizer.Encode(e.Completion, addBos: false).Count + AnswerSlack;
                    return (Prompt: prompt, Tokens: LanguageModelScores.Greedy(adapted, prompt, budget), e.Completion);
                }).ToList();
                if (quantization is null) fp32Answers = answers.Select(a => a.Tokens).ToList();
                // Control bytes a tiny model emits after its answer are never printed as text (as the CLI and host do).
                var texts = answers.Select(a => VisibleText.Of(tokenizer.Decode([.. a.Prompt, .. a.Tokens])[tokenizer.Decode(a.Prompt).Length..])).ToList();
                row = row with
                {
                    AdapterAnswers = texts,
                    AdapterAnswersRight = texts.Zip(answers).Count(t => t.First.TrimStart().StartsWith(t.Second.Completion.Trim(), StringComparison.Ordinal)),
                    AdapterGreedyAgreement = answers.Select((a, i) => LanguageModelScores.Agreement(adapted, a.Prompt, fp32Answers[i])).Average(),
                };
            }
            rows.Add(row);
        }
        return new QuantEvalReport
        {
            Model = weights.Source,
            TextFiles = options.TextFiles,
            HeldOutTokens = heldOutTokens,
            GreedyTokens = options.Tokens,
            BlockSize = options.Quantization.BlockSize,
            AccuracyLevel = options.Quantization.AccuracyLevel,
            ClassifierBits = options.Quantization.ClassifierBits,
            Adapter = options.AdapterPath,
            AdapterExamples = options.AdapterExamples.Count,
            Rows = rows,
        };
    }

    /// <summary>The plain model as an <see cref="IDecoderModel"/> whose Dispose leaves it loaded (the caller owns it).</summary>
    sealed class BorrowedModel(OnnxDecoderModel model) : IDecoderModel
    {
        public Core.Model.LlamaConfig Config => model.Config;
        public IDecoderSession StartSession() => model.StartSession();
        public void Dispose() { }
    }
}
