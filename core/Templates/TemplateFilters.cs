using System.Globalization;
using System.Text;
using static Adapters.Core.Templates.CallArguments;
using static Adapters.Core.Templates.TemplateValues;

namespace Adapters.Core.Templates;

/// <summary>The Jinja filters chat templates use, with Jinja's (Python's) semantics; <c>tojson</c> is Hugging Face's.</summary>
internal static class TemplateFilters
{
    static readonly HashSet<string> Names =
    [
        "abs", "capitalize", "count", "length", "d", "default", "dictsort", "e", "escape", "first", "last", "float",
        "int", "indent", "items", "join", "list", "lower", "upper", "title", "trim", "map", "max", "min", "reject",
        "rejectattr", "select", "selectattr", "replace", "reverse", "round", "safe", "string", "sort", "sum", "tojson",
        "unique", "wordcount",
    ];

    public static bool IsSupported(string name) => Names.Contains(name);

    public static object? Apply(string name, object? value, List<object?> args, List<(string Name, object? Value)> kwargs)
    {
        string what = $"filter '{name}'";
        object?[] Params(params string[] names) => Bind(what, args, kwargs, names);
        switch (name)
        {
            case "abs":
                Params();
                return value switch
                {
                    long l => Math.Abs(l),
                    double d => Math.Abs(d),
                    bool b => b ? 1L : 0L,
                    _ => throw new TemplateError($"bad operand type for abs(): '{TypeName(value)}'"),
                };
            case "capitalize": Params(); return TemplateMethods.Capitalize(ToStr(value));
            case "count" or "length": Params(); return Length(value);
            case "d" or "default":
            {
                var p = Params("default_value", "boolean");
                bool boolean = IsTrue(Or(p[1], false));
                return value is Undefined || (boolean && !IsTrue(value)) ? Or(p[0], "") : value;
            }
            case "dictsort":
            {
                var p = Params("case_sensitive", "by", "reverse");
                if (value is not OrderedDictionary<string, object?> dict) throw new TemplateError($"{what} expects a dict, got {TypeName(value)}");
                bool caseSensitive = IsTrue(Or(p[0], false));
                string by = String(what, Or(p[1], "key"));
                int position = by == "key" ? 0 : by == "value" ? 1 : throw new TemplateError($"{what}: 'by' must be 'key' or 'value'");
                var pairs = dict.Select(kv => new object?[] { kv.Key, kv.Value }).ToList();
                var sorted = SortBy(pairs.Cast<object?>().ToList(), x => ((object?[])x!)[position], caseSensitive, IsTrue(Or(p[2], false)));
                return sorted;
            }
            case "e" or "escape":
                Params();
                return ToStr(value).Replace("&", "&amp;").Replace("<", "&lt;").Replace(">", "&gt;").Replace("\"", "&#34;").Replace("'", "&#39;");
            case "first" or "last":
            {
                Params();
                var items = Iterate(value);
                return items.Count == 0 ? new Undefined($"no {name} item, the sequence was empty") : name == "first" ? items[0] : items[^1];
            }
            case "float":
            {
                var p = Params("default");
                return ToFloat(value, Or(p[0], 0.0));
            }
            case "int":
            {
                var p = Params("default", "base");
                return ToInt(value, Or(p[0], 0L), Given(p[1]) ? Integer(what, p[1]) : 10);
            }
            case "indent":
            {
                var p = Params("width", "first", "blank");
                object? width = Or(p[0], 4L);
                string pad = width is string w ? w : new string(' ', (int)Integer(what, width));
                return Indent(ToStr(value), pad, IsTrue(Or(p[1], false)), IsTrue(Or(p[2], false)));
            }
            case "items":
                Params();
                return value switch
                {
                    Undefined => new List<object?>(),
                    OrderedDictionary<string, object?> dict => dict.Select(kv => (object?)new object?[] { kv.Key, kv.Value }).ToList(),
                    _ => throw new TemplateError($"{what} expects a dict, got {TypeName(value)}"),
                };
            case "join":
            {
                var p = Params("d", "attribute");
                var items = Iterate(value);
                if (Given(p[1]) && p[1] != null) items = items.Select(Getter(p[1])).ToList();
                return string.Join(ToStr(Or(p[0], "")), items.Select(ToStr));
            }
            case "list": Params(); return Iterate(value).ToList();
            case "lower": Params(); return ToStr(value).ToLowerInvariant();
            case "upper": Params(); return ToStr(value).ToUpperInvariant();
            case "title": Params(); return JinjaTitle(ToStr(value));
            case "trim":
            {
                var p = Params("chars");
                object? chars = Or(p[0], null);
                return TemplateMethods.Strip(ToStr(value), chars == null ? null : String(what, chars), true, true);
            }
            case "map": return Map(value, args, kwargs);
            case "max" or "min":
            {
                var p = Params("case_sensitive", "attribute");
                var items = Iterate(value).ToList();
                if (items.Count == 0) return new Undefined($"no {name} item, the sequence was empty");
                var key = Given(p[1]) && p[1] != null ? Getter(p[1]) : x => x;
                var sorted = SortBy(items, key, IsTrue(Or(p[0], false)), false);
                return name == "min" ? sorted[0] : sorted[^1];
            }
            case "select" or "reject":
            {
                bool keep = name == "select";
                return Iterate(value).Where(x => RunTest(what, x, args, 0) == keep).ToList();
            }
            case "selectattr" or "rejectattr":
            {
                if (kwargs.Count > 0) throw new TemplateError($"{what} takes no keyword arguments");
                if (args.Count == 0) throw new TemplateError($"{what} needs an attribute name");
                var get = Getter(args[0]);
                bool keep = name == "selectattr";
                return Iterate(value).Where(x => RunTest(what, get(x), args, 1) == keep).ToList();
            }
            case "replace":
            {
                var p = Params("old!", "new!", "count");
                return TemplateMethods.Replace(ToStr(value), ToStr(p[0]), ToStr(p[1]), Given(p[2]) && p[2] != null ? Integer(what, p[2]) : -1);
            }
            case "reverse":
                Params();
                if (value is string s) return string.Concat(Characters(s).Cast<string>().Reverse());
                return Iterate(value).Reverse().ToList();
            case "round":
            {
                var p = Params("precision", "method");
                int precision = (int)Integer(what, Or(p[0], 0L));
                string method = String(what, Or(p[1], "common"));
                double x = ToDouble(value);
                double factor = Math.Pow(10, precision);
                return method switch
                {
                    "common" => Math.Round(x, Math.Max(precision, 0), MidpointRounding.ToEven),
                    "floor" => Math.Floor(x * factor) / factor,
                    "ceil" => Math.Ceiling(x * factor) / factor,
                    _ => throw new TemplateError($"{what}: method must be 'common', 'ceil' or 'floor'"),
                };
            }
            case "safe" or "string": Params(); return ToStr(value);
            case "sort":
            {
                var p = Params("reverse", "case_sensitive", "attribute");
                var key = Given(p[2]) && p[2] != null ? Getter(p[2]) : x => x;
                return SortBy(Iterate(value).ToList(), key, IsTrue(Or(p[1], false)), IsTrue(Or(p[0], false)));
            }
            case "sum":
            {
                var p = Params("attribute", "start");
                var items = Iterate(value);
                if (Given(p[0]) && p[0] != null) items = items.Select(Getter(p[0])).ToList();
                object? total = Or(p[1], 0L);
                foreach (var item in items) total = TemplateOperators.Binary("+", total, item);
                return total;
            }
            case "tojson":
            {
                var p = Params("indent", "separators", "sort_keys", "ensure_ascii");
                object? indentValue = Or(p[0], null);
                string? indent = indentValue switch
                {
                    null => null,
                    string text => text,
                    _ => new string(' ', (int)Math.Max(0, Integer(what, indentValue))),
                };
                string itemSep = indent == null ? ", " : ",", keySep = ": ";
                if (Or(p[1], null) is { } separators)
                {
                    var pair = Iterate(separators);
                    if (pair.Count != 2) throw new TemplateError($"{what}: separators must be a pair of strings");
                    itemSep = String(what, pair[0]);
                    keySep = String(what, pair[1]);
                }
                return PythonJson.Dumps(value, indent, itemSep, keySep, IsTrue(Or(p[2], false)), IsTrue(Or(p[3], false)));
            }
            case "unique":
            {
                var p = Params("case_sensitive", "attribute");
                bool caseSensitive = IsTrue(Or(p[0], false));
                var key = Given(p[1]) && p[1] != null ? Getter(p[1]) : x => x;
                var seen = new List<object?>();
                var result = new List<object?>();
                foreach (var item in Iterate(value))
                {
                    var k = Fold(key(item), caseSensitive);
                    if (seen.Any(s => AreEqual(s, k))) continue;
                    seen.Add(k);
                    result.Add(item);
                }
                return result;
            }
            case "wordcount":
                Params();
                return (long)ToStr(value).Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).Length;
            default:
                throw new TemplateError($"unsupported filter '{name}'");
        }
    }

    static object? Map(object? value, List<object?> args, List<(string Name, object? Value)> kwargs)
    {
        var items = Iterate(value);
        var attribute = kwargs.FirstOrDefault(k => k.Name == "attribute");
        if (attribute.Name != null)
        {
            if (args.Count > 0 || kwargs.Any(k => k.Name is not ("attribute" or "default")))
                throw new TemplateError("filter 'map' with attribute= takes only attribute and default");
            var get = Getter(attribute.Value);
            var fallback = kwargs.FirstOrDefault(k => k.Name == "default");
            return items.Select(x =>
            {
                var v = get(x);
                return v is Undefined && fallback.Name != null ? fallback.Value : v;
            }).ToList();
        }
        if (args.Count == 0) throw new TemplateError("filter 'map' needs a filter name or attribute=");
        string filter = String("filter 'map'", args[0]);
        if (!IsSupported(filter)) throw new TemplateError($"unsupported filter '{filter}'");
        var rest = args.Skip(1).ToList();
        return items.Select(x => Apply(filter, x, rest, kwargs)).ToList();
    }

    static bool RunTest(string what, object? value, List<object?> args, int testIndex)
    {
        if (args.Count <= testIndex) return IsTrue(value);
        string test = String(what, args[testIndex]);
        return TemplateTestFunctions.Apply(test, value, args.Skip(testIndex + 1).ToList());
    }

    /// <summary>Jinja's attribute getter for filters: <c>"a.b"</c> looks up a then b, integer parts index.</summary>
    static Func<object?, object?> Getter(object? attribute)
    {
        if (attribute is long index) return x => TemplateAccess.GetItem(x, index);
        string path = String("attribute", attribute);
        var parts = path.Split('.').Select(p => long.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out long i) ? (object)i : p).ToList();
        return x =>
        {
            foreach (var part in parts)
            {
                if (x is Undefined) return x;
                x = TemplateAccess.GetItem(x, part);
            }
            return x;
        };
    }

    static object? Fold(object? value, bool caseSensitive) => !caseSensitive && value is string s ? s.ToLowerInvariant() : value;

    static List<object?> SortBy(List<object?> items, Func<object?, object?> key, bool caseSensitive, bool reverse)
    {
        var keyed = items.Select((item, i) => (Item: item, Key: Fold(key(item), caseSensitive), Index: i)).ToList();
        // A stable sort, as Python's is.
        keyed.Sort((x, y) =>
        {
            int c = Compare(x.Key, y.Key, "<");
            if (reverse) c = -c;
            return c != 0 ? c : x.Index.CompareTo(y.Index);
        });
        return keyed.Select(x => x.Item).ToList();
    }

    static object? ToFloat(object? value, object? fallback) => value switch
    {
        double d => d,
        long l => (double)l,
        bool b => b ? 1.0 : 0.0,
        string s when double.TryParse(s.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out double d) => d,
        _ => fallback,
    };

    static object? ToInt(object? value, object? fallback, long numberBase)
    {
        switch (value)
        {
            case long l: return l;
            case bool b: return b ? 1L : 0L;
            case double d: return double.IsFinite(d) ? (long)Math.Truncate(d) : fallback;
            case string s:
                string t = s.Trim().Replace("_", "");
                try
                {
                    if (numberBase == 10 && long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long n)) return n;
                    if (numberBase is 2 or 8 or 16 && t.Length > 0) return Convert.ToInt64(t, (int)numberBase);
                }
                catch (Exception e) when (e is FormatException or OverflowException or ArgumentException) { return fallback; }
                if (double.TryParse(t, NumberStyles.Float, CultureInfo.InvariantCulture, out double f) && double.IsFinite(f)) return (long)Math.Truncate(f);
                return fallback;
            default: return fallback;
        }
    }

    /// <summary>Jinja 3.1's indent filter, line for line (lines after the first; blank lines only when asked).</summary>
    static string Indent(string s, string pad, bool first, bool blank)
    {
        var lines = (s + "\n").Replace("\r\n", "\n").Replace('\r', '\n').Split('\n').SkipLast(1).ToList();
        string result;
        if (blank) result = string.Join("\n" + pad, lines);
        else
        {
            result = lines[0];
            if (lines.Count > 1) result += "\n" + string.Join("\n", lines.Skip(1).Select(line => line.Length > 0 ? pad + line : line));
        }
        return first ? pad + result : result;
    }

    /// <summary>Jinja's title filter: words begin after spaces, '-', '(', '{', '[' or '&lt;'.</summary>
    static string JinjaTitle(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool wordStart = true;
        foreach (char c in s)
        {
            bool separator = char.IsWhiteSpace(c) || c is '-' or '(' or '{' or '[' or '<';
            if (separator) sb.Append(c);
            else sb.Append(wordStart ? char.ToUpperInvariant(c) : char.ToLowerInvariant(c));
            wordStart = separator;
        }
        return sb.ToString();
    }
}
