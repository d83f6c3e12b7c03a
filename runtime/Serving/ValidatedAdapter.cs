namespace Adapters.Runtime.Serving;

/// <summary>An adapter as <see cref="LoadedAdapter"/> read it, with the exact bytes it was checked from: what <see cref="ServedAdapterStore"/> keeps for reloads.</summary>
internal sealed record ValidatedAdapter(LoadedAdapter Adapter, string ManifestFileName, byte[] ManifestBytes, byte[] AdapterBytes);
