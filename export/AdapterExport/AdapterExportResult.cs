using Adapters.Core.Exported;

namespace Adapters.Export.AdapterExport;

/// <summary>What an adapter export wrote: the model manifest and one manifest per exported adapter (none when fused).</summary>
public sealed record AdapterExportResult(ExportedModelManifest Model, IReadOnlyList<ExportedAdapterManifest> Adapters);
