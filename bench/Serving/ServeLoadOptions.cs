namespace Adapters.Bench.Serving;

/// <summary>What <see cref="ServeLoadGenerator"/> sends: a closed loop of <see cref="Concurrency"/> clients, each sending its next request when the last one ended (and <see cref="ThinkTime"/> passed).</summary>
public sealed record ServeLoadOptions
{
    /// <summary>The endpoint's base URL (a router or one replica).</summary>
    public required Uri Url { get; init; }

    /// <summary>Model names by popularity: index 0 is Zipf rank 1.</summary>
    public required IReadOnlyList<string> Models { get; init; }

    public double ZipfExponent { get; init; } = 1.1;
    public int Concurrency { get; init; } = 4;
    public TimeSpan Duration { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// How long each client waits after an answer before its next request, as a user reads it;
    /// zero sends back to back, which keeps every core of a small machine busy.
    /// </summary>
    public TimeSpan ThinkTime { get; init; }

    /// <summary>Stop after this many requests even if time is left; null = the duration alone.</summary>
    public int? MaxRequests { get; init; }

    public int MaxTokens { get; init; } = 16;

    /// <summary>Share of requests sent with "stream": true.</summary>
    public double StreamFraction { get; init; } = 0.5;

    public string Prompt { get; init; } = "Once upon a time";
    public int Seed { get; init; }

    /// <summary>A request still running after this is abandoned and counted as no answer.</summary>
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(120);

    public ServeLoadOptions Validate()
    {
        if (!Url.IsAbsoluteUri || Url.Scheme is not ("http" or "https")) throw new ArgumentException($"--url must be an http:// URL, got '{Url}'");
        if (Models.Count == 0) throw new ArgumentException("at least one model name is needed");
        if (Concurrency < 1) throw new ArgumentException($"--concurrency must be >= 1, got {Concurrency}");
        if (Duration <= TimeSpan.Zero) throw new ArgumentException($"--duration must be positive, got {Duration.TotalSeconds} s");
        if (ThinkTime < TimeSpan.Zero || ThinkTime > TimeSpan.FromMinutes(10)) throw new ArgumentException($"--think-ms must be 0 to 600000, got {ThinkTime.TotalMilliseconds}");
        if (MaxRequests is < 1) throw new ArgumentException($"--requests must be >= 1, got {MaxRequests}");
        if (MaxTokens < 1) throw new ArgumentException($"--max-tokens must be >= 1, got {MaxTokens}");
        if (!(StreamFraction is >= 0 and <= 1)) throw new ArgumentException($"--stream-fraction must be in [0, 1], got {StreamFraction}");
        return this;
    }
}
