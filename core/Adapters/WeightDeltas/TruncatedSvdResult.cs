namespace Adapters.Core.Adapters.WeightDeltas;

/// <summary>
/// A rank-k factorisation B A of a dense [m, n] matrix M (<see cref="TruncatedSvd"/>): B [m, k]
/// and A [k, n] row-major, the singular values split evenly between them (B = U√S, A = √S Vᵀ).
/// </summary>
public sealed record TruncatedSvdResult
{
    public required int Rank { get; init; }
    /// <summary>U √S, [m, k] row-major.</summary>
    public required float[] B { get; init; }
    /// <summary>√S Vᵀ, [k, n] row-major.</summary>
    public required float[] A { get; init; }
    /// <summary>All min(m, n) singular values, largest first.</summary>
    public required double[] SingularValues { get; init; }
    /// <summary>‖M − B A‖_F, measured on the float factors.</summary>
    public required double ResidualNorm { get; init; }
    /// <summary>‖M‖_F.</summary>
    public required double Norm { get; init; }

    /// <summary>‖M − B A‖_F / ‖M‖_F; 0 for a zero matrix (reproduced exactly).</summary>
    public double RelativeError => Norm > 0 ? ResidualNorm / Norm : 0;
}
