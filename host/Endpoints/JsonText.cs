using System.Text.Json;
using Adapters.Host.Api;
using Microsoft.AspNetCore.Http;

namespace Adapters.Host.Endpoints;

/// <summary>
/// Strings out of request JSON. System.Text.Json keeps invalid UTF-8 and unpaired surrogate escapes
/// ("\ud800") inside a parsed document and throws only when the string is read; that is the
/// client's fault, so it becomes a 400 naming the field instead of a 500.
/// </summary>
internal static class JsonText
{
    public static string GetString(JsonElement element, string param)
    {
        try { return element.GetString()!; }
        catch (InvalidOperationException) { throw NotText(param); }
    }

    public static string Name(JsonProperty property, string param)
    {
        try { return property.Name; }
        catch (InvalidOperationException) { throw NotText(param); }
    }

    static ApiException NotText(string param) =>
        new(StatusCodes.Status400BadRequest, ErrorTypes.InvalidRequest, $"{param} is not valid text (invalid UTF-8 or an unpaired surrogate)", param, "invalid_text");
}
