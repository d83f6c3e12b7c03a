namespace Adapters.Host.Admin;

/// <summary>Why an adapter could not be loaded or unloaded; each maps to one HTTP status.</summary>
public enum AdapterAdminError
{
    /// <summary>400: not an adapter folder, a foreign base model, a rank above the limit.</summary>
    InvalidAdapter,
    /// <summary>404: unload of a name that is not loaded.</summary>
    NotFound,
    /// <summary>409: the name is already loaded, or the adapter is in use and cannot be unloaded.</summary>
    Conflict,
    /// <summary>503: every adapter slot is leased by running requests, so none can be evicted.</summary>
    NoFreeSlot,
    /// <summary>501: this backend cannot load adapters at all.</summary>
    NotSupported,
}
