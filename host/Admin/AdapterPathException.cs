namespace Adapters.Host.Admin;

/// <summary>A lora_path the host refuses, with the HTTP status that says why (400 malformed, 403 outside the roots, 404 missing).</summary>
public sealed class AdapterPathException(int statusCode, string message) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
}
