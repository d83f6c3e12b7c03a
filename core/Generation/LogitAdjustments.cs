namespace Adapters.Core.Generation;

/// <summary>
/// The per-request logit changes applied before temperature and filtering: OpenAI's logit_bias,
/// presence and frequency penalties (over generated tokens), and the CTRL repetition penalty
/// (over prompt and generated tokens, as Hugging Face and vLLM apply it). Keeps the token counts
/// they need; <see cref="Record"/> is called with every chosen token.
/// </summary>
internal sealed class LogitAdjustments
{
    readonly SamplingOptions _options;
    readonly Dictionary<int, int> _generatedCounts = [];
    readonly HashSet<int> _seen = [];

    public LogitAdjustments(SamplingOptions options, IReadOnlyList<int> promptTokens)
    {
        _options = options;
        if (options.RepetitionPenalty != 1f)
            foreach (int token in promptTokens) _seen.Add(token);
    }

    public void Record(int token)
    {
        _generatedCounts[token] = _generatedCounts.GetValueOrDefault(token) + 1;
        if (_options.RepetitionPenalty != 1f) _seen.Add(token);
    }

    /// <summary>Adjusts <paramref name="logits"/> in place (a copy the sampler owns).</summary>
    public void Apply(Span<float> logits)
    {
        float repetition = _options.RepetitionPenalty;
        if (repetition != 1f)
            foreach (int token in _seen)
                if ((uint)token < (uint)logits.Length)
                    logits[token] = logits[token] > 0 ? logits[token] / repetition : logits[token] * repetition;
        if (_options.PresencePenalty != 0f || _options.FrequencyPenalty != 0f)
            foreach (var (token, count) in _generatedCounts)
                if ((uint)token < (uint)logits.Length)
                    logits[token] -= _options.FrequencyPenalty * count + _options.PresencePenalty;
        if (_options.LogitBias is { } bias)
            foreach (var (token, value) in bias)
                if ((uint)token < (uint)logits.Length) logits[token] += value;
    }
}
