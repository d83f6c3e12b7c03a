using System.Text.Json.Serialization;

namespace Adapters.Core.Exported;

/// <summary>The tokenizer file of an exported folder: its file name there and its kind (sentencepiece, llama2c, huggingface).</summary>
public sealed record ExportedModelTokenizer
{
    [JsonPropertyName("file")] public string? File { get; init; }
    [JsonPropertyName("kind")] public string? Kind { get; init; }
}
