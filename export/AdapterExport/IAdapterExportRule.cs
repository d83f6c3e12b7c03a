using Adapters.Core.Adapters;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// How one adapter method is exported: the single place per method that knows its tensors.
/// Swappable and batched exports map them onto the graph's generic adapter inputs
/// (<see cref="GraphValues"/>). Fused exports need no rule: core's AdapterWeightDelta
/// materialises every foldable method's ΔW.
/// </summary>
public interface IAdapterExportRule
{
    /// <summary>The manifest method name (<see cref="AdapterMethods"/>).</summary>
    string Method { get; }

    AdapterGraphValues GraphValues(AdapterFolder adapter, AdapterExportContext context);
}
