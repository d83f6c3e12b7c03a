using System.Text.Json.Serialization;

namespace Adapters.Export;

/// <summary>The tokenizer file copied into an exported folder: its name there and its <see cref="TokenizerKinds">kind</see>.</summary>
public sealed record OnnxManifestTokenizer(
    [property: JsonPropertyName("file")] string File,
    [property: JsonPropertyName("kind")] string Kind);
