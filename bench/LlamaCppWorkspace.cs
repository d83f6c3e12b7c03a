using Adapters.Core.Model;
using Adapters.Export.Gguf;
using LLama;
using LLama.Native;

namespace Adapters.Bench;

/// <summary>
/// The llama.cpp side of a bench run, from the run's own weights: model-f32.gguf from our GGUF
/// writer, model-q8_0.gguf and model-q4_0.gguf from llama.cpp's quantizer (LLamaQuantizer), and
/// the run's LoRA r=8 (the same weights as our lora-r8) as a GGUF LoRA file.
/// </summary>
public sealed class LlamaCppWorkspace
{
    public const string F32 = "F32", Q8_0 = "Q8_0", Q4_0 = "Q4_0";

    LlamaCppWorkspace(string root, LlamaConfig config)
    {
        Root = root;
        Config = config;
    }

    public string Root { get; }
    public LlamaConfig Config { get; }
    public string ModelFile(string precision) => Path.Combine(Root, $"model-{precision.ToLowerInvariant()}.gguf");
    /// <summary>Why Q8_0/Q4_0 could not be made for this shape (null: they were).</summary>
    public string? QuantizationSkipped { get; private set; }

    public string LoraFile => Path.Combine(Root, BenchWorkspace.LoraSmall + GgufExporter.FileSuffix);

    /// <param name="lora">The run's LoRA r=8 (BenchAdapters.Lora with the seed our lora-r8 uses).</param>
    public static LlamaCppWorkspace Create(LlamaWeights weights, Core.Adapters.AdapterFolder lora, string root, int threads, Action<string> log)
    {
        var w = new LlamaCppWorkspace(root, weights.Config);
        if (Directory.Exists(root)) Directory.Delete(root, recursive: true);
        Directory.CreateDirectory(root);
        log("export: GGUF F32 + LoRA r=8 (llama.cpp)");
        LlamaGgufWriter.Write(weights, PlaceholderVocabulary(weights.Config.VocabSize), w.ModelFile(F32), "bench");
        LoraGgufWriter.Write(weights.Config, lora, w.LoraFile, BenchWorkspace.LoraSmall);
        LlamaCppNative.EnsureLoaded();
        w.QuantizationSkipped = QuantizationProblem(weights.Config);
        if (w.QuantizationSkipped is { } why) log($"export: GGUF Q8_0/Q4_0 skipped: {why}");
        else foreach (var (precision, type) in new[] { (Q8_0, LLamaFtype.MOSTLY_Q8_0), (Q4_0, LLamaFtype.MOSTLY_Q4_0) })
        {
            log($"export: GGUF {precision} (llama.cpp's quantizer)");
            if (!LLamaQuantizer.Quantize(w.ModelFile(F32), w.ModelFile(precision), type, threads, allowRequantize: false, quantizeOutputTensor: true))
                throw new InvalidOperationException($"llama.cpp could not quantize {w.ModelFile(F32)} to {precision}");
        }
        return w;
    }

    /// <summary>Why llama.cpp cannot run this model (a feature its architecture lacks, see GgufArchitecture), or null.</summary>
    public static string? Unsupported(LlamaConfig config)
    {
        try
        {
            GgufArchitecture.For(config);
            return null;
        }
        catch (ArgumentException e) { return e.Message; }
    }

    /// <summary>
    /// base F32, F32 + LoRA r=8, Q8_0, Q4_0, Q4_0 + LoRA r=8, each with a context of
    /// <paramref name="tokens"/> (what one timed generation needs, not the model's whole context:
    /// llama.cpp allocates its KV cache for the context up front, 4.7 GB per context at Qwen3-0.6B's 40,960).
    /// </summary>
    public IEnumerable<IBenchVariant> Variants(int threads, int tokens)
    {
        int context = Math.Min(Config.MaxSeqLen, tokens);
        // A variant with a LoRA shares the loaded file with the one without: a full-size model is in memory once.
        var f32 = new LlamaCppModel(ModelFile(F32), threads, context);
        yield return new LlamaCppVariant($"llama.cpp {F32}", BenchEngines.BaseKind, f32);
        yield return new LlamaCppVariant($"llama.cpp {F32} + LoRA r=8", BenchEngines.LlamaCppLoraKind, f32, LoraFile, BenchWorkspace.SmallRank);
        if (QuantizationSkipped is not null) yield break;
        yield return new LlamaCppVariant($"llama.cpp {Q8_0}", BenchEngines.LlamaCppQuantizedKind, new LlamaCppModel(ModelFile(Q8_0), threads, context));
        var q4 = new LlamaCppModel(ModelFile(Q4_0), threads, context);
        yield return new LlamaCppVariant($"llama.cpp {Q4_0}", BenchEngines.LlamaCppQuantizedKind, q4);
        yield return new LlamaCppVariant($"llama.cpp {Q4_0} + LoRA r=8", BenchEngines.LlamaCppLoraKind, q4, LoraFile, BenchWorkspace.SmallRank);
    }

    /// <summary>
    /// llama.cpp's Q8_0 and Q4_0 pack 32 values per block along each row and define no fallback
    /// type, so every row length (dim, hidden_dim) must be a multiple of 32 (260K's hidden_dim 172 is not).
    /// </summary>
    static string? QuantizationProblem(LlamaConfig c)
    {
        const int block = 32;
        var bad = new[] { ("dim", c.Dim), ("hidden_dim", c.HiddenDim) }.Where(d => d.Item2 % block != 0).ToList();
        return bad.Count == 0 ? null
            : $"llama.cpp's Q8_0/Q4_0 need row lengths divisible by {block}, and {string.Join(", ", bad.Select(d => $"{d.Item1} {d.Item2}"))} is not";
    }

    /// <summary>
    /// A vocabulary of the model's size for random weights that have no tokenizer: the bench feeds
    /// token ids, so only llama.cpp's loader needs one (control tokens, the 256 byte tokens, then filler pieces).
    /// </summary>
    static GgufVocabulary PlaceholderVocabulary(int size)
    {
        var pieces = new List<string> { "<unk>", "<s>", "</s>" };
        pieces.AddRange(Enumerable.Range(0, 256).Select(b => $"<0x{b:X2}>"));
        for (int i = pieces.Count; i < size; i++) pieces.Add($"\u2581t{i}");
        if (pieces.Count > size) throw new ArgumentException($"vocab_size {size} is too small for llama.cpp's byte tokens ({pieces.Count})");
        return GgufVocabulary.FromPieces(pieces, pieces.Select((_, i) => -(float)i).ToArray(), 0, 1, 2);
    }
}
