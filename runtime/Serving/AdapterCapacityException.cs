namespace Adapters.Runtime.Serving;

/// <summary>
/// An adapter does not fit the registry's limits (bytes or resident count) even after evicting
/// every adapter nobody holds: the rest are leased by requests in flight. Retry later.
/// </summary>
public sealed class AdapterCapacityException(string message) : InvalidOperationException(message);
