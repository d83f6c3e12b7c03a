using System.Text.Json.Serialization;

namespace Adapters.Core.Tokenizers;

/// <summary>What `adapters tokenize` prints: the ids and the text they encode (the input, or a chat template's rendering).</summary>
public sealed record TokenizeResult(
    [property: JsonPropertyName("ids")] IReadOnlyList<int> Ids,
    [property: JsonPropertyName("text")] string Text);
