namespace Adapters.Runtime.Serving;

/// <summary>One validated copy in a <see cref="ServedAdapterStore"/>: its content hash (the folder's name) and its manifest there.</summary>
public sealed record StoredAdapter(string Hash, string ManifestPath);
