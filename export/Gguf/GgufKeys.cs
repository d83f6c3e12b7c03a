namespace Adapters.Export.Gguf;

/// <summary>GGUF metadata keys we write (gguf-py's constants.py Keys; the spelling is the format).</summary>
public static class GgufKeys
{
    public const string Architecture = "general.architecture";
    public const string Type = "general.type";
    public const string Name = "general.name";
    public const string FileType = "general.file_type";

    /// <summary>llama.cpp's architecture names we write (see <see cref="GgufArchitecture"/>).</summary>
    public const string LlamaArchitecture = "llama";
    public const string Qwen2Architecture = "qwen2";
    public const string Qwen3Architecture = "qwen3";
    public const string ModelType = "model";
    public const string AdapterType = "adapter";

    /// <summary>general.file_type LLAMA_FTYPE_ALL_F32.</summary>
    public const uint AllF32 = 0;

    // Model hyperparameters are prefixed with the architecture name ("qwen3.context_length").
    public static string ContextLength(string arch) => $"{arch}.context_length";
    public static string EmbeddingLength(string arch) => $"{arch}.embedding_length";
    public static string BlockCount(string arch) => $"{arch}.block_count";
    public static string FeedForwardLength(string arch) => $"{arch}.feed_forward_length";
    public static string HeadCount(string arch) => $"{arch}.attention.head_count";
    public static string HeadCountKv(string arch) => $"{arch}.attention.head_count_kv";
    /// <summary>head_dim of keys and values; llama.cpp's default is embedding_length / head_count.</summary>
    public static string KeyLength(string arch) => $"{arch}.attention.key_length";
    public static string ValueLength(string arch) => $"{arch}.attention.value_length";
    public static string RmsNormEpsilon(string arch) => $"{arch}.attention.layer_norm_rms_epsilon";
    public static string RopeDimensionCount(string arch) => $"{arch}.rope.dimension_count";
    public static string RopeFreqBase(string arch) => $"{arch}.rope.freq_base";
    public static string RopeScalingType(string arch) => $"{arch}.rope.scaling.type";
    public static string RopeScalingFactor(string arch) => $"{arch}.rope.scaling.factor";
    public static string VocabSize(string arch) => $"{arch}.vocab_size";

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
