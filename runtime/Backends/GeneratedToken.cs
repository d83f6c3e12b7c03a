namespace Adapters.Runtime.Backends;

/// <summary>One generated token id. A struct of its own so a backend can add per-token data (log-probabilities) later without changing the seam.</summary>
public readonly record struct GeneratedToken(int TokenId);
