namespace Adapters.Host.Admin;

/// <summary>Why an adapter could not be loaded or unloaded; each maps to one HTTP status.</summary>
public enum AdapterAdminError
{
    /// <summary>400: not an adapter folder, a foreign base model, a rank above the limit, a file that is not a regular file or too large.</summary>
    InvalidAdapter,
    /// <summary>404: unload of a name that is not loaded.</summary>
    NotFound,
    /// <summary>409: the name is already loaded, or the adapter is in use and cannot be unloaded.</summary>
    Conflict,
    /// <summary>503: every adapter slot is leased by running requests, so none can be evicted.</summary>
    NoFreeSlot,
    /// <summary>501: this backend cannot load adapters at all.</summary>
    NotSupported,
    /// <summary>403: a file of the adapter lies outside the adapter roots (a symbolic link leaving them).</summary>
    OutsideRoots,
    /// <summary>504: reading the adapter took longer than the load timeout.</summary>
    Timeout,
    /// <summary>503: too many loads are running at once.</summary>
    Busy,
}
