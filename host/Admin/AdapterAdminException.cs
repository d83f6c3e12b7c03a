namespace Adapters.Host.Admin;

/// <summary>An adapter load or unload that failed for a reason the caller can act on.</summary>
public sealed class AdapterAdminException(AdapterAdminError error, string message) : Exception(message)
{
    public AdapterAdminError Error { get; } = error;
}
