using Adapters.Core.Adapters;
using Adapters.Core.Model;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// What one adapter needs from a decoder with adapter inputs, and the values it feeds there:
/// the projections that get a low-rank update, the layers whose residual stream is edited, the
/// tensors under their graph input names (<see cref="Core.Exported.AdapterInputNames"/>), its rank
/// and, for residual edits, the prompt positions they apply to.
/// </summary>
public sealed record AdapterGraphValues
{
    public IReadOnlyList<(int Layer, string Projection)> Projections { get; init; } = [];
    public IReadOnlyList<int> EditedLayers { get; init; } = [];
    public required IReadOnlyList<TensorData> Tensors { get; init; }
    public required int Rank { get; init; }
    public PositionSpec? Positions { get; init; }

    /// <summary>Truncated-SVD compression only: ‖ΔW − BA‖_F / ‖ΔW‖_F over all projections, and per projection module.</summary>
    public double? SvdRelativeError { get; init; }
    public IReadOnlyDictionary<string, double>? SvdProjectionErrors { get; init; }
}
