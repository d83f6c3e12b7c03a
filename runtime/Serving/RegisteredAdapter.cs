using Adapters.Core.Exported;

namespace Adapters.Runtime.Serving;

/// <summary>One name in an <see cref="AdapterRegistry"/>: its current version's manifest, when that version was loaded, and whether it is in memory now.</summary>
public sealed record RegisteredAdapter(string Name, ExportedAdapterManifest Manifest, string ManifestPath, DateTimeOffset LoadedAt, bool Resident);
