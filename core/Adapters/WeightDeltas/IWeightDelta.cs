namespace Adapters.Core.Adapters.WeightDeltas;

/// <summary>
/// An adapter whose whole effect is a fixed ΔW per projection, so that W' = W + ΔW reproduces
/// it exactly (up to float rounding). Pure C#: an exporter folds any such adapter into the base
/// weights without an ML engine (<see cref="WeightDeltaFolding.Fold"/>).
/// </summary>
public interface IWeightDelta
{
    /// <summary>The method that produced the delta (a name of <see cref="AdapterMethods"/>).</summary>
    string Method { get; }

    /// <summary>The (layer, projection) pairs with a delta.</summary>
    IReadOnlyList<(int Layer, string Projection)> Targets { get; }

    /// <summary>Dense ΔW [out, in] of one target, row-major (a new array on each call).</summary>
    float[] Materialize(int layer, string projection);
}
