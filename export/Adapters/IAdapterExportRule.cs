using Adapters.Core.Adapters;
using Adapters.Core.Model;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// How one adapter method is exported: the single place per method that knows its tensors.
/// Swappable and batched exports map them onto the graph's generic adapter inputs
/// (<see cref="GraphValues"/>); fused exports fold them into the base weights when the
/// method is a weight delta (<see cref="DeltaProvider"/> not null).
/// </summary>
public interface IAdapterExportRule
{
    /// <summary>The manifest method name (<see cref="AdapterMethods"/>).</summary>
    string Method { get; }

    /// <summary>The fused-mode provider, or null when the method cannot be folded into weights (ReFT).</summary>
    IWeightDeltaProvider? DeltaProvider { get; }

    AdapterGraphValues GraphValues(AdapterFolder adapter, LlamaConfig model);
}
