using Adapters.Core.Adapters;

namespace Adapters.Export.AdapterExport;

/// <summary>An adapter to export and the name it gets in the exported folder (file names, registry name).</summary>
public sealed record AdapterSource(string Name, AdapterFolder Adapter);
