using System.Globalization;
using System.Text;

namespace Adapters.Core.Templates;

/// <summary>
/// Python's value semantics for template values, as Jinja gets them from Python: truth, <c>str()</c>,
/// <c>repr()</c>, equality, ordering, iteration and <c>len()</c>. Values are null (None),
/// <see cref="Undefined"/>, bool, long (int), double (float), string, <c>List&lt;object?&gt;</c> (list),
/// <c>object?[]</c> (tuple), <c>OrderedDictionary&lt;string, object?&gt;</c> (dict), <see cref="Namespace"/>,
/// <see cref="LoopContext"/> and <see cref="ITemplateCallable"/>.
/// </summary>
internal static class TemplateValues
{
    public static bool IsTrue(object? value) => value switch
    {
        null or Undefined => false,
        bool b => b,
        long l => l != 0,
        double d => d != 0,
        string s => s.Length > 0,
        List<object?> list => list.Count > 0,
        object?[] tuple => tuple.Length > 0,
        OrderedDictionary<string, object?> dict => dict.Count > 0,
        _ => true,
    };

    public static bool IsNumber(object? value) => value is bool or long or double;

    public static string TypeName(object? value) => value switch
    {
        null => "NoneType",
        Undefined => "Undefined",
        bool => "bool",
        long => "int",
        double => "float",
        string => "str",
        List<object?> => "list",
        object?[] => "tuple",
        OrderedDictionary<string, object?> => "dict",
        Namespace => "Namespace",
        LoopContext => "LoopContext",
        ITemplateCallable => "function",
        _ => value.GetType().Name,
    };

    /// <summary>Python's <c>str(value)</c>; Undefined renders as the empty string.</summary>
    public static string ToStr(object? value) => value switch
    {
        string s => s,
        Undefined => "",
        _ => Repr(value),
    };

    public static string Repr(object? value) => value switch
    {
        null => "None",
        Undefined => "",
        bool b => b ? "True" : "False",
        long l => l.ToString(CultureInfo.InvariantCulture),
        double d => FormatFloat(d),
        string s => ReprString(s),
        List<object?> list => "[" + string.Join(", ", list.Select(Repr)) + "]",
        object?[] tuple => tuple.Length == 1 ? $"({Repr(tuple[0])},)" : "(" + string.Join(", ", tuple.Select(Repr)) + ")",
        OrderedDictionary<string, object?> dict => "{" + string.Join(", ", dict.Select(p => ReprString(p.Key) + ": " + Repr(p.Value))) + "}",
        Namespace ns => "<Namespace " + string.Join(", ", ns.Attributes.Select(p => p.Key + "=" + Repr(p.Value))) + ">",
        _ => $"<{TypeName(value)}>",
    };

    /// <summary>Python's float repr: shortest round-trip digits, fixed notation for 1e-4 &lt;= |x| &lt; 1e16.</summary>
    public static string FormatFloat(double d)
    {
        if (double.IsNaN(d)) return "nan";
        if (double.IsPositiveInfinity(d)) return "inf";
        if (double.IsNegativeInfinity(d)) return "-inf";
        if (d == 0) return double.IsNegative(d) ? "-0.0" : "0.0";
        // Shortest round-trip digits come from "R"; re-lay them out as Python does.
        string shortest = d.ToString("R", CultureInfo.InvariantCulture);
        string sign = d < 0 ? "-" : "";
        string body = shortest.TrimStart('-');
        int e = body.IndexOfAny(['E', 'e']);
        string mantissa = e >= 0 ? body[..e] : body;
        int baseExponent = e >= 0 ? int.Parse(body[(e + 1)..], CultureInfo.InvariantCulture) : 0;
        int dot = mantissa.IndexOf('.');
        string intPart = dot >= 0 ? mantissa[..dot] : mantissa;
        string fracPart = dot >= 0 ? mantissa[(dot + 1)..] : "";
        string all = intPart + fracPart;
        string digits = all.TrimStart('0');
        int exponent = intPart.Length - 1 - (all.Length - digits.Length) + baseExponent;
        digits = digits.TrimEnd('0');
        if (exponent < -4 || exponent >= 16)
        {
            string m = digits.Length == 1 ? digits : digits[0] + "." + digits[1..];
            return $"{sign}{m}e{(exponent < 0 ? "-" : "+")}{Math.Abs(exponent):00}";
        }
        if (exponent < 0) return $"{sign}0.{new string('0', -exponent - 1)}{digits}";
        if (digits.Length <= exponent + 1) return $"{sign}{digits}{new string('0', exponent + 1 - digits.Length)}.0";
        return $"{sign}{digits[..(exponent + 1)]}.{digits[(exponent + 1)..]}";
    }

    /// <summary>Python's repr of a str: single quotes unless the text has a single quote and no double quote.</summary>
    public static string ReprString(string s)
    {
        char quote = s.Contains('\'') && !s.Contains('"') ? '"' : '\'';
        var sb = new StringBuilder().Append(quote);
        foreach (char c in s)
        {
            switch (c)
            {
                case '\\': sb.Append("\\\\"); break;
                case '\n': sb.Append("\\n"); break;
                case '\r': sb.Append("\\r"); break;
                case '\t': sb.Append("\\t"); break;
                default:
                    if (c == quote) sb.Append('\\').Append(c);
                    else if (c < 0x20 || c == 0x7F) sb.Append($"\\x{(int)c:x2}");
                    else sb.Append(c);
                    break;
            }
        }
        return sb.Append(quote).ToString();
    }

    public static double ToDouble(object? value) => value switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        double d => d,
        _ => throw new TemplateError($"expected a number, got {TypeName(value)}"),
    };

    public static bool AreEqual(object? a, object? b)
    {
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a) == ToDouble(b);
            return AsLong(a!) == AsLong(b!);
        }
        return (a, b) switch
        {
            (null, null) => true,
            (Undefined, Undefined) => true,
            (string x, string y) => x == y,
            (List<object?> x, List<object?> y) => x.Count == y.Count && x.Zip(y).All(p => AreEqual(p.First, p.Second)),
            (object?[] x, object?[] y) => x.Length == y.Length && x.Zip(y).All(p => AreEqual(p.First, p.Second)),
            (OrderedDictionary<string, object?> x, OrderedDictionary<string, object?> y) =>
                x.Count == y.Count && x.All(p => y.TryGetValue(p.Key, out var v) && AreEqual(p.Value, v)),
            _ => ReferenceEquals(a, b),
        };
    }

    public static long AsLong(object value) => value switch
    {
        bool b => b ? 1 : 0,
        long l => l,
        _ => throw new TemplateError($"expected an integer, got {TypeName(value)}"),
    };

    /// <summary>Python ordering for &lt; &lt;= &gt; &gt;=: numbers, strings (by code point) and sequences.</summary>
    public static int Compare(object? a, object? b, string op)
    {
        if (a is Undefined ua) throw ua.Fail();
        if (b is Undefined ub) throw ub.Fail();
        if (IsNumber(a) && IsNumber(b))
        {
            if (a is double || b is double) return ToDouble(a).CompareTo(ToDouble(b));
            return AsLong(a!).CompareTo(AsLong(b!));
        }
        switch (a, b)
        {
            case (string x, string y):
                return CompareCodePoints(x, y);
            case (List<object?> or object?[], List<object?> or object?[]) when a.GetType() == b.GetType():
                var xs = Iterate(a);
                var ys = Iterate(b);
                for (int i = 0; i < Math.Min(xs.Count, ys.Count); i++)
                    if (!AreEqual(xs[i], ys[i])) return Compare(xs[i], ys[i], op);
                return xs.Count.CompareTo(ys.Count);
        }
        throw new TemplateError($"'{op}' not supported between instances of '{TypeName(a)}' and '{TypeName(b)}'");
    }

    static int CompareCodePoints(string x, string y)
    {
        var ex = x.EnumerateRunes();
        var ey = y.EnumerateRunes();
        while (true)
        {
            bool hx = ex.MoveNext(), hy = ey.MoveNext();
            if (!hx || !hy) return hx.CompareTo(hy);
            int c = ex.Current.Value.CompareTo(ey.Current.Value);
            if (c != 0) return c;
        }
    }

    /// <summary>The code points of a string, one string each, as Python indexes and iterates a str.</summary>
    public static List<object?> Characters(string s)
    {
        var chars = new List<object?>(s.Length);
        foreach (var rune in s.EnumerateRunes()) chars.Add(rune.ToString());
        return chars;
    }

    public static IReadOnlyList<object?> Iterate(object? value) => value switch
    {
        Undefined => [],
        List<object?> list => list,
        object?[] tuple => tuple,
        string s => Characters(s),
        OrderedDictionary<string, object?> dict => dict.Keys.Cast<object?>().ToList(),
        _ => throw new TemplateError($"'{TypeName(value)}' object is not iterable"),
    };

    public static long Length(object? value) => value switch
    {
        Undefined => 0,
        string s => s.EnumerateRunes().Count(),
        List<object?> list => list.Count,
        object?[] tuple => tuple.Length,
        OrderedDictionary<string, object?> dict => dict.Count,
        _ => throw new TemplateError($"object of type '{TypeName(value)}' has no len()"),
    };

    public static bool Contains(object? container, object? item) => container switch
    {
        string s when item is string sub => s.Contains(sub, StringComparison.Ordinal),
        string => throw new TemplateError($"'in <string>' requires string as left operand, not {TypeName(item)}"),
        OrderedDictionary<string, object?> dict => item is string key && dict.ContainsKey(key),
        _ => Iterate(container).Any(x => AreEqual(x, item)),
    };
}
