using Adapters.Core.Exported;

namespace Adapters.Runtime.Serving;

/// <summary>
/// One validated copy in a <see cref="ServedAdapterStore"/>: its content hash (the folder's name),
/// its manifest there, and that manifest as it was parsed and checked against the model when the
/// copy was made (a reload whose bytes match the hash reuses it instead of checking it again).
/// </summary>
public sealed record StoredAdapter(string Hash, string ManifestPath, ExportedAdapterManifest Manifest);
