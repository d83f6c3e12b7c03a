using System.Text;

namespace Adapters.Core.Templates;

/// <summary>
/// Python's <c>json.dumps</c>, which Hugging Face's <c>tojson</c> filter calls with
/// <c>ensure_ascii=False</c>: separators <c>", "</c>/<c>": "</c> (<c>","</c> when indenting), keys in
/// insertion order unless sorted, floats as Python writes them.
/// </summary>
internal static class PythonJson
{
    public static string Dumps(object? value, string? indent, string itemSeparator, string keySeparator, bool sortKeys, bool ensureAscii)
    {
        var sb = new StringBuilder();
        Write(sb, value, indent, itemSeparator, keySeparator, sortKeys, ensureAscii, 0);
        return sb.ToString();
    }

    static void Write(StringBuilder sb, object? value, string? indent, string itemSep, string keySep, bool sortKeys, bool ascii, int depth)
    {
        switch (value)
        {
            case null: sb.Append("null"); return;
            case bool b: sb.Append(b ? "true" : "false"); return;
            case long l: sb.Append(l); return;
            case double d:
                sb.Append(double.IsNaN(d) ? "NaN" : double.IsPositiveInfinity(d) ? "Infinity" : double.IsNegativeInfinity(d) ? "-Infinity" : TemplateValues.FormatFloat(d));
                return;
            case string s: WriteString(sb, s, ascii); return;
            case List<object?> or object?[]:
                var items = TemplateValues.Iterate(value);
                WriteContainer(sb, '[', ']', items.Count, indent, itemSep, depth, i =>
                    Write(sb, items[i], indent, itemSep, keySep, sortKeys, ascii, depth + 1));
                return;
            case OrderedDictionary<string, object?> dict:
                var pairs = dict.ToList();
                if (sortKeys) pairs.Sort((x, y) => string.CompareOrdinal(x.Key, y.Key));
                WriteContainer(sb, '{', '}', pairs.Count, indent, itemSep, depth, i =>
                {
                    WriteString(sb, pairs[i].Key, ascii);
                    sb.Append(keySep);
                    Write(sb, pairs[i].Value, indent, itemSep, keySep, sortKeys, ascii, depth + 1);
                });
                return;
            default:
                throw new TemplateError($"Object of type {TemplateValues.TypeName(value)} is not JSON serializable");
        }
    }

    static void WriteContainer(StringBuilder sb, char open, char close, int count, string? indent, string itemSep, int depth, Action<int> writeItem)
    {
        sb.Append(open);
        if (count == 0) { sb.Append(close); return; }
        for (int i = 0; i < count; i++)
        {
            if (i > 0) sb.Append(itemSep);
            if (indent != null) sb.Append('\n').Insert(sb.Length, indent, depth + 1);
            writeItem(i);
        }
        if (indent != null) sb.Append('\n').Insert(sb.Length, indent, depth);
        sb.Append(close);
    }

    static void WriteString(StringBuilder sb, string s, bool ascii)
    {
        sb.Append('"');
        foreach (char c in s)
        {
            switch (c)
            {
                case '"': sb.Append("\\\""); break;
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                case '\b': sb.Append("\\b"); break;
                case '\f': sb.Append("\\f"); break;
                default:
                    if (c < 0x20 || (ascii && c > 0x7E)) sb.Append($"\\u{(int)c:x4}");
                    else sb.Append(c);
                    break;
            }
        }
        sb.Append('"');
    }
}
