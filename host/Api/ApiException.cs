namespace Adapters.Host.Api;

/// <summary>A request the host refuses: becomes an OpenAI-style error body with <see cref="StatusCode"/>.</summary>
internal sealed class ApiException(int statusCode, string type, string message, string? param = null, string? code = null) : Exception(message)
{
    public int StatusCode { get; } = statusCode;
    public string Type { get; } = type;
    public string? Param { get; } = param;
    public string? Code { get; } = code;

    public ErrorResponse ToResponse() => new() { Error = new ErrorBody { Message = Message, Type = Type, Param = Param, Code = Code } };
}
