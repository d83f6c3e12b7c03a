using System.Text.Json.Serialization;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// The tokenizer file formats we read. The JSON names are what manifests record (see
/// <see cref="TokenizerLoader.ManifestName"/>), so an export folder can say which kind it copied.
/// </summary>
[JsonConverter(typeof(JsonStringEnumConverter<TokenizerKind>))]
public enum TokenizerKind
{
    /// <summary>llama2.c tokenizer.bin: max_token_length, then (score, length, bytes) per token.</summary>
    [JsonStringEnumMemberName("llama2c")] Llama2c,

    /// <summary>SentencePiece tokenizer.model (protobuf ModelProto), as shipped with LLaMA.</summary>
    [JsonStringEnumMemberName("sentencepiece")] SentencePiece,

    /// <summary>Hugging Face tokenizer.json (with tokenizer_config.json beside it), as shipped with Llama 3, Qwen, Mistral.</summary>
    [JsonStringEnumMemberName("huggingface")] HuggingFace,
}
