namespace Adapters.Runtime.Backends;

/// <summary>The backend cannot take the request now (every adapter place is held by requests in flight); the host answers 503 and the client may retry.</summary>
public sealed class BackendBusyException(string message, Exception? inner = null) : Exception(message, inner);
