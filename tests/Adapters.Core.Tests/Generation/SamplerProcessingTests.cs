using Adapters.Core.Generation;

namespace Adapters.Core.Tests.Generation;

/// <summary>
/// Logit bias, penalties and the top-k / top-p / min-p filters, each against values worked out by
/// hand from the formulas of OpenAI's API reference (bias, presence, frequency) and Hugging Face's
/// logits processors (repetition penalty, top-k, top-p, min-p).
/// </summary>
public sealed class SamplerProcessingTests
{
    static readonly float[] Logits = [2f, 1f, -1f, 0.5f, 1.9f];

    [Fact]
    public void Logit_bias_moves_the_greedy_choice()
    {
        var sampler = new Sampler(SamplingOptions.Greedy with { LogitBias = new Dictionary<int, float> { [3] = 1.6f } });
        Assert.Equal(3, sampler.Sample(Logits)); // 0.5 + 1.6 = 2.1 > 2
    }

    [Fact]
    public void Minus_hundred_bias_bans_a_token()
    {
        var sampler = new Sampler(new SamplingOptions { Temperature = 1, Seed = 3, LogitBias = new Dictionary<int, float> { [0] = -100, [4] = -100 } });
        for (int i = 0; i < 200; i++) Assert.NotEqual(0, sampler.Sample(Logits));
    }

    [Fact]
    public void Repetition_penalty_divides_positive_and_multiplies_negative_logits_of_seen_tokens()
    {
        // Prompt holds 0 and 2: logits become [1, 1, -2, 0.5, 1.9]; greedy picks 4 (1.9).
        var sampler = new Sampler(SamplingOptions.Greedy with { RepetitionPenalty = 2f }, promptTokens: [0, 2]);
        Assert.Equal(4, sampler.Sample(Logits));
        // 4 was generated, so it is penalised too: [1, 1, -2, 0.5, 0.95] → 0 (first of the tie).
        Assert.Equal(0, sampler.Sample(Logits));
    }

    [Fact]
    public void Frequency_penalty_counts_repeats_and_presence_penalty_does_not()
    {
        // frequency 0.6: after k picks of token 0 its logit is 2 − 0.6k; 1.9 wins once 2 − 0.6k < 1.9.
        var frequency = new Sampler(SamplingOptions.Greedy with { FrequencyPenalty = 0.6f });
        Assert.Equal(0, frequency.Sample(Logits));
        Assert.Equal(4, frequency.Sample(Logits));   // [1.4, 1, -1, .5, 1.9]
        Assert.Equal(0, frequency.Sample(Logits));   // [1.4, 1, -1, .5, 1.3]
        Assert.Equal(4, frequency.Sample(Logits));   // [0.8, 1, -1, .5, 1.3]
        Assert.Equal(1, frequency.Sample(Logits));   // [0.8, 1, -1, .5, 0.7]

        // presence 0.6 subtracts once per distinct token: [1.4, 1, -1, .5, 1.3] after 0 and 4 → 0 again.
        var presence = new Sampler(SamplingOptions.Greedy with { PresencePenalty = 0.6f });
        Assert.Equal(0, presence.Sample(Logits));
        Assert.Equal(4, presence.Sample(Logits));
        Assert.Equal(0, presence.Sample(Logits));
        Assert.Equal(0, presence.Sample(Logits));
    }

    [Fact]
    public void Penalties_leave_the_callers_logits_untouched()
    {
        var logits = (float[])Logits.Clone();
        var sampler = new Sampler(SamplingOptions.Greedy with { RepetitionPenalty = 3f, LogitBias = new Dictionary<int, float> { [1] = 5 } }, [0]);
        sampler.Sample(logits);
        Assert.Equal(Logits, logits);
    }

    [Fact]
    public void Top_k_one_is_greedy_at_any_temperature()
    {
        var sampler = new Sampler(new SamplingOptions { Temperature = 5f, TopK = 1, Seed = 11 });
        for (int i = 0; i < 100; i++) Assert.Equal(0, sampler.Sample(Logits));
    }

    [Fact]
    public void Top_k_keeps_only_the_k_most_likely()
    {
        var sampler = new Sampler(new SamplingOptions { Temperature = 10f, TopK = 2, Seed = 5 });
        var seen = new HashSet<int>();
        for (int i = 0; i < 400; i++) seen.Add(sampler.Sample(Logits));
        Assert.Equal([0, 4], seen.Order());
    }

    [Fact]
    public void Top_p_applies_after_top_k_on_the_renormalised_probabilities()
    {
        // Softmax of [2, 1.9] alone is [0.525, 0.475]: with top-k 2 and top-p 0.5 only token 0 survives.
        var sampler = new Sampler(new SamplingOptions { Temperature = 1f, TopK = 2, TopP = 0.5f, Seed = 9 });
        for (int i = 0; i < 200; i++) Assert.Equal(0, sampler.Sample(Logits));
    }

    [Fact]
    public void Min_p_drops_tokens_below_the_fraction_of_the_top_probability()
    {
        // p_i / p_max = exp(l_i − 2): token 1 → 0.368, token 3 → 0.223, token 2 → 0.050, token 4 → 0.905.
        var sampler = new Sampler(new SamplingOptions { Temperature = 1f, MinP = 0.3f, Seed = 2 });
        var seen = new HashSet<int>();
        for (int i = 0; i < 600; i++) seen.Add(sampler.Sample(Logits));
        Assert.Equal([0, 1, 4], seen.Order());
    }

    [Fact]
    public void Seeded_filtered_sampling_repeats()
    {
        var options = new SamplingOptions { Temperature = 0.9f, TopK = 3, MinP = 0.05f, RepetitionPenalty = 1.3f, Seed = 42 };
        var a = new Sampler(options, [1]);
        var b = new Sampler(options, [1]);
        for (int i = 0; i < 50; i++) Assert.Equal(a.Sample(Logits), b.Sample(Logits));
    }

    [Theory]
    [InlineData("top_k", -1)]
    [InlineData("min_p", 1.5)]
    [InlineData("repetition_penalty", 0)]
    [InlineData("presence_penalty", 2.5)]
    [InlineData("frequency_penalty", -3)]
    public void Out_of_range_values_are_refused_naming_them(string field, double value)
    {
        var options = field switch
        {
            "top_k" => new SamplingOptions { TopK = (int)value },
            "min_p" => new SamplingOptions { MinP = (float)value },
            "repetition_penalty" => new SamplingOptions { RepetitionPenalty = (float)value },
            "presence_penalty" => new SamplingOptions { PresencePenalty = (float)value },
            _ => new SamplingOptions { FrequencyPenalty = (float)value },
        };
        var error = Assert.Throws<ArgumentException>(() => options.Validate());
        Assert.StartsWith(field, error.Message);
    }
}
