namespace Adapters.Runtime.Serving;

/// <summary>The generated tokens (prompt excluded) and the adapter version that produced them (null = base model).</summary>
public sealed record GenerationResult(IReadOnlyList<int> Tokens, LoadedAdapter? Adapter);
