namespace Adapters.Runtime.Backends;

/// <summary>A name requests may use, as /v1/models lists it.</summary>
public sealed record ModelInfo
{
    public required string Id { get; init; }
    public required ModelKind Kind { get; init; }

    /// <summary>Adapter method (lora, loreft, direft); null for the base model.</summary>
    public string? Method { get; init; }

    /// <summary>Adapter rank; null for the base model.</summary>
    public int? Rank { get; init; }

    /// <summary>The base model an adapter applies to; null for the base model itself.</summary>
    public string? Parent { get; init; }

    /// <summary>When the model or adapter was loaded.</summary>
    public DateTimeOffset Created { get; init; } = DateTimeOffset.UtcNow;
}
