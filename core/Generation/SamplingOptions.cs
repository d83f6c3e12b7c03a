using System.Text.Json.Serialization;

namespace Adapters.Core.Generation;

/// <summary>
/// How the next token is chosen. Temperature 0 is greedy (argmax). The logit adjustments
/// (<see cref="LogitBias"/>, the penalties) apply first, then temperature, then the filters
/// <see cref="TopK"/>, <see cref="TopP"/>, <see cref="MinP"/> — the order of Hugging Face's and vLLM's samplers.
/// </summary>
public sealed record SamplingOptions
{
    /// <summary>OpenAI's bounds for presence/frequency penalties.</summary>
    public const float MaxAbsPenalty = 2f;

    /// <summary>OpenAI's bounds for a logit bias value.</summary>
    public const float MaxAbsLogitBias = 100f;

    [JsonPropertyName("temperature")] public float Temperature { get; init; } = 1.0f;
    /// <summary>Nucleus sampling: keep the smallest set of tokens whose probability reaches TopP (1 = off).</summary>
    [JsonPropertyName("top_p")] public float TopP { get; init; } = 1.0f;
    /// <summary>Keep only the K most likely tokens (0 = off).</summary>
    [JsonPropertyName("top_k")] public int TopK { get; init; }
    /// <summary>Drop tokens whose probability is below MinP × the most likely token's (0 = off).</summary>
    [JsonPropertyName("min_p")] public float MinP { get; init; }
    /// <summary>
    /// CTRL/Hugging Face repetition penalty over prompt and generated tokens: a positive logit is
    /// divided by it, a negative one multiplied (1 = off).
    /// </summary>
    [JsonPropertyName("repetition_penalty")] public float RepetitionPenalty { get; init; } = 1.0f;
    /// <summary>OpenAI presence penalty: subtracted once from the logit of every token generated so far.</summary>
    [JsonPropertyName("presence_penalty")] public float PresencePenalty { get; init; }
    /// <summary>OpenAI frequency penalty: subtracted from a token's logit once per time it was generated.</summary>
    [JsonPropertyName("frequency_penalty")] public float FrequencyPenalty { get; init; }
    /// <summary>Added to the logits of the given token ids before sampling (OpenAI's logit_bias).</summary>
    [JsonPropertyName("logit_bias")] public IReadOnlyDictionary<int, float>? LogitBias { get; init; }
    /// <summary>Random seed; null draws one from the clock.</summary>
    [JsonPropertyName("seed")] public int? Seed { get; init; }

    public static readonly SamplingOptions Greedy = new() { Temperature = 0 };

    /// <summary>True when logits are changed before sampling (bias or a penalty), so the sampler works on a copy.</summary>
    [JsonIgnore]
    public bool AdjustsLogits => LogitBias is { Count: > 0 } || RepetitionPenalty != 1f || PresencePenalty != 0f || FrequencyPenalty != 0f;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first value out of range (the host reports it as a 400 naming the field).</summary>
    public SamplingOptions Validate()
    {
        if (!(Temperature >= 0) || float.IsInfinity(Temperature))
            throw new ArgumentException($"temperature must be a finite number >= 0, got {Temperature}");
        if (!(TopP > 0 && TopP <= 1))
            throw new ArgumentException($"top_p must be in (0, 1], got {TopP}");
        if (TopK < 0) throw new ArgumentException($"top_k must be >= 0 (0 = off), got {TopK}");
        if (!(MinP >= 0 && MinP <= 1)) throw new ArgumentException($"min_p must be in [0, 1], got {MinP}");
        if (!(RepetitionPenalty > 0) || float.IsInfinity(RepetitionPenalty))
            throw new ArgumentException($"repetition_penalty must be a finite number > 0 (1 = off), got {RepetitionPenalty}");
        if (!(Math.Abs(PresencePenalty) <= MaxAbsPenalty))
            throw new ArgumentException($"presence_penalty must be in [-{MaxAbsPenalty}, {MaxAbsPenalty}], got {PresencePenalty}");
        if (!(Math.Abs(FrequencyPenalty) <= MaxAbsPenalty))
            throw new ArgumentException($"frequency_penalty must be in [-{MaxAbsPenalty}, {MaxAbsPenalty}], got {FrequencyPenalty}");
        if (LogitBias is not null)
            foreach (var (token, bias) in LogitBias)
            {
                if (token < 0) throw new ArgumentException($"logit_bias token ids must be >= 0, got {token}");
                if (!(Math.Abs(bias) <= MaxAbsLogitBias))
                    throw new ArgumentException($"logit_bias values must be in [-{MaxAbsLogitBias}, {MaxAbsLogitBias}], got {bias} for token {token}");
            }
        return this;
    }
}
