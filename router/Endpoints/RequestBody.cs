using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace Adapters.Router.Endpoints;

/// <summary>
/// A generation request's body, read whole so the router can route on its "model" and send it
/// again on a retry. Everything a client can get wrong is a 4xx here, before any replica sees it.
/// </summary>
public sealed class RequestBody
{
    /// <summary>The replicas' own limit (`adapters serve` answers 413 beyond it): larger bodies never leave the router.</summary>
    public const int MaxBytes = 4 * 1024 * 1024;

    RequestBody(byte[] bytes, string model)
    {
        Bytes = bytes;
        Model = model;
    }

    public byte[] Bytes { get; }
    public string Model { get; }

    /// <exception cref="RouterError">413 for a body over <see cref="MaxBytes"/>, 400 for anything that is not a JSON object with a string "model".</exception>
    public static async Task<RequestBody> ReadAsync(HttpContext http)
    {
        if (http.Request.ContentLength > MaxBytes) throw TooLarge();
        var buffer = new MemoryStream();
        var chunk = new byte[64 * 1024];
        try
        {
            int read;
            while ((read = await http.Request.Body.ReadAsync(chunk, http.RequestAborted)) > 0)
            {
                if (buffer.Length + read > MaxBytes) throw TooLarge();
                buffer.Write(chunk, 0, read);
            }
        }
        catch (BadHttpRequestException e) { throw new RouterError(e.StatusCode, "invalid_request_error", $"bad request: {e.Message}"); }
        byte[] bytes = buffer.ToArray();
        return new RequestBody(bytes, ReadModel(bytes));
    }

    /// <summary>The string "model" at the top of a JSON object (invalid UTF-8 and bad JSON are refused by the parser).</summary>
    public static string ReadModel(byte[] bytes)
    {
        if (bytes.Length == 0) throw RouterError.Invalid("the request body is empty; send a JSON object with \"model\"");
        JsonDocument document;
        try { document = JsonDocument.Parse(bytes, new JsonDocumentOptions { MaxDepth = 64 }); }
        catch (JsonException e) { throw RouterError.Invalid($"the request body is not valid JSON: {e.Message}"); }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw RouterError.Invalid($"the request body must be a JSON object, got {document.RootElement.ValueKind.ToString().ToLowerInvariant()}");
            if (!document.RootElement.TryGetProperty("model", out var model) || model.ValueKind == JsonValueKind.Null)
                throw RouterError.Invalid("model is required (the base model's or an adapter's name)", "model");
            if (model.ValueKind != JsonValueKind.String)
                throw RouterError.Invalid($"model must be a string, got {model.ValueKind.ToString().ToLowerInvariant()}", "model");
            string name;
            try { name = model.GetString()!; }
            catch (InvalidOperationException) { throw RouterError.Invalid("model is not a valid string (an unpaired surrogate escape?)", "model"); }
            if (string.IsNullOrWhiteSpace(name)) throw RouterError.Invalid("model must not be empty", "model");
            return name;
        }
    }

    static RouterError TooLarge() =>
        new(StatusCodes.Status413PayloadTooLarge, "invalid_request_error", $"the request body is larger than {MaxBytes / (1024 * 1024)} MiB");
}
