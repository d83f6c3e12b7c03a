using System.Text.Json;
using Adapters.Core.IO;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// Reads fields of a Hugging Face tokenizer file, turning every wrong type or missing field into an
/// <see cref="InvalidFileException"/> that names the file and the field's path (e.g. "model.vocab").
/// </summary>
internal sealed class HfJson(string path)
{
    public string Path { get; } = path;

    public InvalidFileException Error(string field, string problem) => new(Path, $"{field}: {problem}");

    /// <summary>A component this reader does not implement: refused, naming its field and kind.</summary>
    public InvalidFileException Unsupported(string field, string kind, string supported) =>
        Error(field, $"{kind} is not supported (supported: {supported})");

    public static JsonDocument Parse(string path, string text)
    {
        try { return JsonDocument.Parse(text, new JsonDocumentOptions { MaxDepth = 256 }); }
        catch (JsonException e) { throw new InvalidFileException(path, $"invalid JSON (truncated?): {e.Message}"); }
    }

    public static string ReadText(string path, long maxBytes)
    {
        if (!File.Exists(path)) throw new InvalidFileException(path, "file not found");
        long length = new FileInfo(path).Length;
        if (length > maxBytes) throw new InvalidFileException(path, $"file is {length:N0} bytes, more than the {maxBytes:N0} a tokenizer file may have");
        return File.ReadAllText(path);
    }

    public JsonElement Object(JsonElement parent, string name, string at)
    {
        if (!parent.TryGetProperty(name, out var value)) throw Error(Join(at, name), "missing");
        if (value.ValueKind != JsonValueKind.Object) throw Error(Join(at, name), $"expected an object, got {Describe(value)}");
        return value;
    }

    /// <summary>The property when present and not null.</summary>
    public static bool TryGet(JsonElement parent, string name, out JsonElement value) =>
        parent.TryGetProperty(name, out value) && value.ValueKind != JsonValueKind.Null;

    public string String(JsonElement parent, string name, string at)
    {
        if (!TryGet(parent, name, out var value)) throw Error(Join(at, name), "missing");
        return AsString(value, Join(at, name));
    }

    public string? OptionalString(JsonElement parent, string name, string at) =>
        TryGet(parent, name, out var value) ? AsString(value, Join(at, name)) : null;

    public string AsString(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Error(field, $"expected a string, got {Describe(value)}");

    public bool Bool(JsonElement parent, string name, string at, bool fallback)
    {
        if (!TryGet(parent, name, out var value)) return fallback;
        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error(Join(at, name), $"expected true or false, got {Describe(value)}"),
        };
    }

    public bool? OptionalBool(JsonElement parent, string name, string at) =>
        TryGet(parent, name, out _) ? Bool(parent, name, at, false) : null;

    public int Int(JsonElement parent, string name, string at, int? fallback = null)
    {
        if (!TryGet(parent, name, out var value))
            return fallback ?? throw Error(Join(at, name), "missing");
        return AsInt(value, Join(at, name));
    }

    public int AsInt(JsonElement value, string field) =>
        value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out int n) ? n : throw Error(field, $"expected an integer, got {Describe(value)}");

    public JsonElement Array(JsonElement parent, string name, string at)
    {
        if (!TryGet(parent, name, out var value)) throw Error(Join(at, name), "missing");
        if (value.ValueKind != JsonValueKind.Array) throw Error(Join(at, name), $"expected an array, got {Describe(value)}");
        return value;
    }

    /// <summary>The "type" of a component object (normalizer, pre-tokenizer, ...).</summary>
    public string TypeOf(JsonElement component, string at)
    {
        if (component.ValueKind != JsonValueKind.Object) throw Error(at, $"expected an object, got {Describe(component)}");
        return String(component, "type", at);
    }

    /// <summary>A {"String": s} or {"Regex": r} pattern as a .NET regex.</summary>
    public System.Text.RegularExpressions.Regex Pattern(JsonElement parent, string name, string at)
    {
        var pattern = Object(parent, name, at);
        string field = Join(at, name);
        try
        {
            if (TryGet(pattern, "String", out var literal))
                return new(System.Text.RegularExpressions.Regex.Escape(AsString(literal, field + ".String")), RegexOptions);
            if (TryGet(pattern, "Regex", out var regex))
                return new(AsString(regex, field + ".Regex"), RegexOptions);
        }
        catch (ArgumentException e) { throw Error(field, $"regex not understood by .NET: {e.Message}"); }
        throw Error(field, "expected {\"String\": ...} or {\"Regex\": ...}");
    }

    /// <summary>Culture-invariant: (?i:'s) must fold case the same way on every machine.</summary>
    const System.Text.RegularExpressions.RegexOptions RegexOptions =
        System.Text.RegularExpressions.RegexOptions.CultureInvariant | System.Text.RegularExpressions.RegexOptions.Compiled;

    public static string Join(string at, string name) => at.Length == 0 ? name : $"{at}.{name}";

    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string \"{Shorten(value.GetString()!)}\"",
        JsonValueKind.Number => $"the number {value.GetRawText()}",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
        _ => "null",
    };

    static string Shorten(string s) => s.Length <= 40 ? s : s[..40] + "…";
}
