using System.Security.Cryptography;
using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace Adapters.Core.Model;

/// <summary>
/// Identifies a base model for adapter compatibility: its shape plus a hash of the token
/// embedding (cheap to compute, and different for any two differently trained models).
/// </summary>
public sealed record ModelFingerprint
{
    [JsonPropertyName("shape")] public required string Shape { get; init; }
    [JsonPropertyName("embedding_sha256")] public required string EmbeddingSha256 { get; init; }

    public static ModelFingerprint Of(LlamaWeights weights)
    {
        var c = weights.Config;
        var bytes = MemoryMarshal.AsBytes(weights[LlamaTensorNames.TokenEmbedding].Data.AsSpan());
        return new ModelFingerprint
        {
            Shape = $"dim={c.Dim},hidden={c.HiddenDim},layers={c.NumLayers},heads={c.NumHeads},kv_heads={c.NumKvHeads},vocab={c.VocabSize}",
            EmbeddingSha256 = Convert.ToHexStringLower(SHA256.HashData(bytes)),
        };
    }

    public override string ToString() => $"{Shape} embedding:{(EmbeddingSha256 is { Length: > 12 } h ? h[..12] : EmbeddingSha256)}";
}
