using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Adapters.Core.Templates;

/// <summary>
/// Turns the .NET values a caller passes (strings, numbers, bools, lists, dictionaries, JSON from
/// System.Text.Json, chat messages) into template values; anything else is refused, naming its type.
/// </summary>
internal static class TemplateValueConverter
{
    public static object? FromClr(object? value, string name) => value switch
    {
        null => null,
        string or bool or long or double => value,
        int or short or byte or sbyte or uint or ushort => Convert.ToInt64(value),
        float f => (double)f,
        decimal m => (double)m,
        ChatMessage message => new OrderedDictionary<string, object?> { ["role"] = message.Role, ["content"] = message.Content },
        JsonElement element => FromJson(element),
        JsonNode node => FromJson(JsonSerializer.SerializeToElement(node)),
        IDictionary dict => FromDictionary(dict, name),
        IEnumerable sequence => sequence.Cast<object?>().Select(x => FromClr(x, name)).ToList(),
        _ => throw new ArgumentException($"template variable '{name}': values of type {value.GetType().Name} cannot be passed to a template"),
    };

    static OrderedDictionary<string, object?> FromDictionary(IDictionary dict, string name)
    {
        var result = new OrderedDictionary<string, object?>();
        foreach (DictionaryEntry entry in dict)
        {
            if (entry.Key is not string key) throw new ArgumentException($"template variable '{name}': dictionary keys must be strings");
            result[key] = FromClr(entry.Value, name);
        }
        return result;
    }

    static object? FromJson(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Null or JsonValueKind.Undefined => null,
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        JsonValueKind.String => element.GetString(),
        JsonValueKind.Number => element.TryGetInt64(out long l) ? l : element.GetDouble(),
        JsonValueKind.Array => element.EnumerateArray().Select(FromJson).ToList(),
        _ => FromJsonObject(element),
    };

    static OrderedDictionary<string, object?> FromJsonObject(JsonElement element)
    {
        var result = new OrderedDictionary<string, object?>();
        foreach (var property in element.EnumerateObject()) result[property.Name] = FromJson(property.Value);
        return result;
    }
}
