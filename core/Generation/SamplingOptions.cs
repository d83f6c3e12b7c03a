using System.Text.Json.Serialization;

namespace Adapters.Core.Generation;

/// <summary>How the next token is chosen. Temperature 0 is greedy (argmax).</summary>
public sealed record SamplingOptions
{
    [JsonPropertyName("temperature")] public float Temperature { get; init; } = 1.0f;
    /// <summary>Nucleus sampling: keep the smallest set of tokens whose probability reaches TopP (1 = off).</summary>
    [JsonPropertyName("top_p")] public float TopP { get; init; } = 1.0f;
    /// <summary>Random seed; null draws one from the clock.</summary>
    [JsonPropertyName("seed")] public int? Seed { get; init; }

    public static readonly SamplingOptions Greedy = new() { Temperature = 0 };

    public SamplingOptions Validate()
    {
        if (!(Temperature >= 0) || float.IsInfinity(Temperature))
            throw new ArgumentException($"temperature must be a finite number >= 0, got {Temperature}");
        if (!(TopP > 0 && TopP <= 1))
            throw new ArgumentException($"top_p must be in (0, 1], got {TopP}");
        return this;
    }
}
