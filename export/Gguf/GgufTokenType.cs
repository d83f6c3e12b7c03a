namespace Adapters.Export.Gguf;

/// <summary>tokenizer.ggml.token_type values: llama.cpp's llama_token_type, the same numbers as SentencePiece's piece types.</summary>
public enum GgufTokenType
{
    Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6,
}
