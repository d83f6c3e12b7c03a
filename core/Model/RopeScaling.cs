using System.Text.Json.Serialization;

namespace Adapters.Core.Model;

/// <summary>
/// Rotary frequency scaling as Hugging Face's config.json names it. "llama3" (Llama 3.1–3.3)
/// divides the low frequencies by <see cref="Factor"/>, keeps the high ones and blends between;
/// "linear" divides every frequency by <see cref="Factor"/> (position interpolation). The math is
/// in <see cref="RotaryFrequencies"/>; every engine takes its tables from there.
/// </summary>
public sealed record RopeScaling
{
    public const string Llama3 = "llama3";
    public const string Linear = "linear";
    public static readonly IReadOnlyList<string> Supported = [Llama3, Linear];

    [JsonPropertyName("type")] public required string Type { get; init; }
    [JsonPropertyName("factor")] public required double Factor { get; init; }
    /// <summary>llama3 only.</summary>
    [JsonPropertyName("low_freq_factor")] public double? LowFreqFactor { get; init; }
    /// <summary>llama3 only.</summary>
    [JsonPropertyName("high_freq_factor")] public double? HighFreqFactor { get; init; }
    /// <summary>llama3 only: the context the frequencies were trained for.</summary>
    [JsonPropertyName("original_max_position_embeddings")] public int? OriginalMaxPositionEmbeddings { get; init; }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first bad value.</summary>
    public RopeScaling Validate()
    {
        if (!Supported.Contains(Type))
            throw new ArgumentException($"rope_scaling type '{Type}' is not supported (supported: {string.Join(", ", Supported)})");
        if (!(Factor > 0)) throw new ArgumentException($"rope_scaling factor must be > 0, got {Factor}");
        if (Type == Llama3)
        {
            if (LowFreqFactor is not double low || !(low > 0)) throw new ArgumentException("rope_scaling llama3 needs low_freq_factor > 0");
            if (HighFreqFactor is not double high || !(high > low)) throw new ArgumentException("rope_scaling llama3 needs high_freq_factor > low_freq_factor");
            if (OriginalMaxPositionEmbeddings is not int original || original <= 0)
                throw new ArgumentException("rope_scaling llama3 needs original_max_position_embeddings > 0");
        }
        else if (LowFreqFactor is not null || HighFreqFactor is not null || OriginalMaxPositionEmbeddings is not null)
            throw new ArgumentException($"rope_scaling type '{Type}' takes only factor");
        return this;
    }
}
