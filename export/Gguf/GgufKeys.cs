namespace Adapters.Export.Gguf;

/// <summary>GGUF metadata keys we write (gguf-py's constants.py Keys; the spelling is the format).</summary>
public static class GgufKeys
{
    public const string Architecture = "general.architecture";
    public const string Type = "general.type";
    public const string Name = "general.name";
    public const string FileType = "general.file_type";

    /// <summary>The architecture whose graph matches ours: RMSNorm, SwiGLU, rotary on adjacent pairs (LLAMA_ROPE_TYPE_NORM).</summary>
    public const string LlamaArchitecture = "llama";
    public const string ModelType = "model";
    public const string AdapterType = "adapter";

    /// <summary>general.file_type LLAMA_FTYPE_ALL_F32.</summary>
    public const uint AllF32 = 0;

    public const string ContextLength = "llama.context_length";
    public const string EmbeddingLength = "llama.embedding_length";
    public const string BlockCount = "llama.block_count";
    public const string FeedForwardLength = "llama.feed_forward_length";
    public const string HeadCount = "llama.attention.head_count";
    public const string HeadCountKv = "llama.attention.head_count_kv";
    public const string RmsNormEpsilon = "llama.attention.layer_norm_rms_epsilon";
    public const string RopeDimensionCount = "llama.rope.dimension_count";
    public const string RopeFreqBase = "llama.rope.freq_base";
    public const string VocabSize = "llama.vocab_size";

    public const string TokenizerModel = "tokenizer.ggml.model";
    /// <summary>llama.cpp's name for a SentencePiece (SPM) vocabulary.</summary>
    public const string LlamaTokenizerModel = "llama";
    public const string Tokens = "tokenizer.ggml.tokens";
    public const string Scores = "tokenizer.ggml.scores";
    public const string TokenTypes = "tokenizer.ggml.token_type";
    public const string BosId = "tokenizer.ggml.bos_token_id";
    public const string EosId = "tokenizer.ggml.eos_token_id";
    public const string UnknownId = "tokenizer.ggml.unknown_token_id";
    public const string AddBos = "tokenizer.ggml.add_bos_token";
    public const string AddEos = "tokenizer.ggml.add_eos_token";

    public const string AdapterKind = "adapter.type";
    public const string LoraAdapterKind = "lora";
    public const string LoraAlpha = "adapter.lora.alpha";
}
