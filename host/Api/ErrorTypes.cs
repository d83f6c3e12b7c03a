namespace Adapters.Host.Api;

/// <summary>The error "type" strings OpenAI's API uses, so client libraries map them to their exception classes.</summary>
internal static class ErrorTypes
{
    public const string InvalidRequest = "invalid_request_error";
    public const string Authentication = "authentication_error";
    public const string Permission = "permission_error";
    public const string NotFound = "not_found_error";
    public const string RateLimit = "rate_limit_error";
    public const string Timeout = "timeout_error";
    public const string NotImplemented = "not_implemented_error";
    public const string Server = "server_error";
    public const string Unavailable = "service_unavailable_error";
}
