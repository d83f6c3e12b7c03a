namespace Adapters.Export;

/// <summary>Tokenizer file kinds recorded in the manifest, and the guess from a file name.</summary>
public static class TokenizerKinds
{
    /// <summary>SentencePiece protobuf (tokenizer.model), read by Microsoft.ML.Tokenizers' LlamaTokenizer.</summary>
    public const string SentencePiece = "sentencepiece";

    /// <summary>llama2.c's tokenizer.bin / tok512.bin (scores, lengths, bytes).</summary>
    public const string Llama2c = "llama2c";

    /// <summary>Hugging Face tokenizer.json.</summary>
    public const string HuggingFace = "huggingface";

    /// <summary>The kind implied by a file name; throws naming the file when it is not recognisable.</summary>
    public static string FromFileName(string path) => Path.GetExtension(path).ToLowerInvariant() switch
    {
        ".model" => SentencePiece,
        ".bin" => Llama2c,
        ".json" => HuggingFace,
        _ => throw new ArgumentException(
            $"cannot tell the tokenizer kind of '{path}' from its extension (.model, .bin, .json); pass the kind explicitly ({SentencePiece}, {Llama2c}, {HuggingFace})"),
    };
}
