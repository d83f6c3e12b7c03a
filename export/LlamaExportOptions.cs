using Adapters.Export.Onnx;

namespace Adapters.Export;

/// <summary>Choices of one export; the defaults suit a LLaMA-2 vocabulary.</summary>
public sealed record LlamaExportOptions
{
    /// <summary>LLaMA-2 / llama2.c special tokens: BOS 1, EOS 2, and 0 (&lt;unk&gt;) as padding, as GenAI's llama configs use.</summary>
    public const int DefaultBosTokenId = 1;
    public const int DefaultEosTokenId = 2;
    public const int DefaultPadTokenId = 0;

    /// <summary>
    /// A tokenizer file (kind recognised by content) copied into the folder and named in the
    /// manifest, plus Hugging Face tokenizer.json/tokenizer_config.json for ONNX Runtime GenAI; none when null.
    /// </summary>
    public string? TokenizerPath { get; init; }

    public ExternalDataMode ExternalData { get; init; } = ExternalDataMode.Auto;

    /// <summary>
    /// Written to genai_config.json's decoder.session_options.intra_op_num_threads: GenAI ran at
    /// single-thread speed without it. Defaults to this machine's logical processor count.
    /// </summary>
    public int IntraOpThreads { get; init; } = Environment.ProcessorCount;

    public int BosTokenId { get; init; } = DefaultBosTokenId;
    public int EosTokenId { get; init; } = DefaultEosTokenId;
    public int PadTokenId { get; init; } = DefaultPadTokenId;

    /// <summary>
    /// Block-quantized projection weights (com.microsoft MatMulNBits, <c>export --quantize</c>);
    /// null = fp32 with standard ops only. Adapter inputs stay fp32 beside the quantized weights.
    /// </summary>
    public Quantization.QuantizationOptions? Quantization { get; init; }

    /// <summary>Contrib-op fusions of the decoder graph (<c>export --fuse</c>); null = <see cref="DecoderFusions.Default"/> for the model.</summary>
    public DecoderFusions? Fusions { get; init; }

    /// <summary>Every id that ends generation for GenAI (genai_config.json eos_token_id as a list); empty means <see cref="EosTokenId"/> alone.</summary>
    public IReadOnlyList<int> StopTokenIds { get; init; } = [];

    /// <summary>Graph extensions (adapters), applied in order.</summary>
    public IReadOnlyList<ILlamaGraphExtension> Extensions { get; init; } = [];

    /// <summary>Recorded as model_manifest.json's "adapters": the graph's adapter inputs (set with the matching <see cref="Extensions"/>).</summary>
    public Core.Exported.ExportedAdapterInterface? AdapterInterface { get; init; }

    /// <summary>Writes further files (exported adapters) into the folder being built, before the manifest completes it.</summary>
    public Action<string>? WriteAdditionalFiles { get; init; }

    public LlamaExportOptions Validate()
    {
        Quantization?.Validate();
        if (IntraOpThreads < 1) throw new ArgumentException($"intra-op threads must be >= 1, got {IntraOpThreads}");
        if (TokenizerPath is not null && !File.Exists(TokenizerPath) && !Directory.Exists(TokenizerPath))
            throw new FileNotFoundException($"tokenizer '{TokenizerPath}' not found (a tokenizer file, or a folder holding one)", TokenizerPath);
        return this;
    }
}
