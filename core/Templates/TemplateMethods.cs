using System.Text;
using static Adapters.Core.Templates.CallArguments;

namespace Adapters.Core.Templates;

/// <summary>
/// The Python methods of str and dict that chat templates call (<c>content.startswith('x')</c>,
/// <c>message.get('k')</c>); <c>str.format</c> and mutating methods (Hugging Face renders in an
/// immutable sandbox) are not among them, so the parser refuses them.
/// </summary>
internal static class TemplateMethods
{
    static readonly HashSet<string> StringMethods =
    [
        "startswith", "endswith", "split", "rsplit", "strip", "lstrip", "rstrip", "lower", "upper", "title",
        "capitalize", "replace", "find", "rfind", "count", "join", "splitlines", "isdigit", "isalpha", "isalnum",
        "isspace", "islower", "isupper",
    ];

    static readonly HashSet<string> DictMethods = ["get", "items", "keys", "values"];

    public static bool IsSupported(string name) => StringMethods.Contains(name) || DictMethods.Contains(name) || name == "cycle";

    /// <summary>The bound method, or null when the value has no such method.</summary>
    public static ITemplateCallable? BindMethod(object? target, string name) => target switch
    {
        string s when StringMethods.Contains(name) => new BuiltinCallable($"str.{name}", (args, kwargs) => CallString(s, name, args, kwargs)),
        OrderedDictionary<string, object?> d when DictMethods.Contains(name) => new BuiltinCallable($"dict.{name}", (args, kwargs) => CallDict(d, name, args, kwargs)),
        _ => null,
    };

    static object? CallDict(OrderedDictionary<string, object?> dict, string name, List<object?> args, List<(string, object?)> kwargs)
    {
        string what = $"dict.{name}()";
        switch (name)
        {
            case "get":
                var a = Bind(what, args, kwargs, "key!", "default");
                return a[0] is string key && dict.TryGetValue(key, out var value) ? value : Or(a[1], null);
            case "items":
                Bind(what, args, kwargs);
                return dict.Select(p => (object?)new object?[] { p.Key, p.Value }).ToList();
            case "keys":
                Bind(what, args, kwargs);
                return dict.Keys.Cast<object?>().ToList();
            default:
                Bind(what, args, kwargs);
                return dict.Values.ToList();
        }
    }

    static object? CallString(string s, string name, List<object?> args, List<(string, object?)> kwargs)
    {
        string what = $"str.{name}()";
        switch (name)
        {
            case "startswith" or "endswith":
            {
                var a = Bind(what, args, kwargs, "prefix!");
                var candidates = a[0] is object?[] tuple ? tuple : [a[0]];
                return candidates.Any(c => name == "startswith"
                    ? s.StartsWith(String(what, c), StringComparison.Ordinal)
                    : s.EndsWith(String(what, c), StringComparison.Ordinal));
            }
            case "split" or "rsplit":
            {
                var a = Bind(what, args, kwargs, "sep", "maxsplit");
                object? sep = Or(a[0], null);
                long max = Given(a[1]) ? Integer(what, a[1]) : -1;
                var parts = sep == null ? SplitWhitespace(s, max, name == "rsplit") : SplitOn(s, String(what, sep), max, name == "rsplit");
                return parts.Cast<object?>().ToList();
            }
            case "strip" or "lstrip" or "rstrip":
            {
                var a = Bind(what, args, kwargs, "chars");
                object? chars = Or(a[0], null);
                return Strip(s, chars == null ? null : String(what, chars), name != "rstrip", name != "lstrip");
            }
            case "lower": Bind(what, args, kwargs); return s.ToLowerInvariant();
            case "upper": Bind(what, args, kwargs); return s.ToUpperInvariant();
            case "title": Bind(what, args, kwargs); return Title(s);
            case "capitalize": Bind(what, args, kwargs); return Capitalize(s);
            case "replace":
            {
                var a = Bind(what, args, kwargs, "old!", "new!", "count");
                return Replace(s, String(what, a[0]), String(what, a[1]), Given(a[2]) ? Integer(what, a[2]) : -1);
            }
            case "find" or "rfind":
            {
                var a = Bind(what, args, kwargs, "sub!");
                string sub = String(what, a[0]);
                return (long)(name == "find" ? s.IndexOf(sub, StringComparison.Ordinal) : s.LastIndexOf(sub, StringComparison.Ordinal));
            }
            case "count":
            {
                var a = Bind(what, args, kwargs, "sub!");
                string sub = String(what, a[0]);
                if (sub.Length == 0) return TemplateValues.Length(s) + 1;
                long n = 0;
                for (int i = s.IndexOf(sub, StringComparison.Ordinal); i >= 0; i = s.IndexOf(sub, i + sub.Length, StringComparison.Ordinal)) n++;
                return n;
            }
            case "join":
            {
                var a = Bind(what, args, kwargs, "iterable!");
                return string.Join(s, TemplateValues.Iterate(a[0]).Select(x => x as string
                    ?? throw new TemplateError($"{what} expects strings, got {TemplateValues.TypeName(x)}")));
            }
            case "splitlines":
                Bind(what, args, kwargs);
                var lines = s.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n').Cast<object?>().ToList();
                if (s.EndsWith('\n') || s.EndsWith('\r')) lines.RemoveAt(lines.Count - 1);
                return s.Length == 0 ? new List<object?>() : lines;
            default:
                Bind(what, args, kwargs);
                return Classify(s, name);
        }
    }

    static bool Classify(string s, string name)
    {
        if (name is "islower" or "isupper")
        {
            bool anyCased = s.Any(c => char.IsUpper(c) || char.IsLower(c));
            return anyCased && !s.Any(c => name == "islower" ? char.IsUpper(c) : char.IsLower(c));
        }
        if (s.Length == 0) return false;
        return name switch
        {
            "isdigit" => s.All(char.IsDigit),
            "isalpha" => s.All(char.IsLetter),
            "isalnum" => s.All(char.IsLetterOrDigit),
            _ => s.All(char.IsWhiteSpace),
        };
    }

    public static string Strip(string s, string? chars, bool left, bool right)
    {
        int start = 0, end = s.Length;
        bool Strippable(char c) => chars == null ? char.IsWhiteSpace(c) : chars.Contains(c);
        if (left) while (start < end && Strippable(s[start])) start++;
        if (right) while (end > start && Strippable(s[end - 1])) end--;
        return s[start..end];
    }

    /// <summary>Python's str.title: a letter after a cased letter is lowered, any other letter is raised.</summary>
    public static string Title(string s)
    {
        var sb = new StringBuilder(s.Length);
        bool previousCased = false;
        foreach (char c in s)
        {
            bool cased = char.IsUpper(c) || char.IsLower(c);
            sb.Append(cased ? (previousCased ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c)) : c);
            previousCased = cased;
        }
        return sb.ToString();
    }

    public static string Capitalize(string s) =>
        s.Length == 0 ? s : char.ToUpperInvariant(s[0]) + s[1..].ToLowerInvariant();

    public static string Replace(string s, string old, string replacement, long count)
    {
        if (count < 0) count = long.MaxValue;
        var sb = new StringBuilder();
        if (old.Length == 0)
        {
            var chars = TemplateValues.Characters(s);
            long done = 0;
            for (int i = 0; i <= chars.Count; i++)
            {
                if (done < count) { sb.Append(replacement); done++; }
                if (i < chars.Count) sb.Append((string)chars[i]!);
            }
            return sb.ToString();
        }
        int pos = 0;
        long replaced = 0;
        while (replaced < count)
        {
            int found = s.IndexOf(old, pos, StringComparison.Ordinal);
            if (found < 0) break;
            sb.Append(s, pos, found - pos).Append(replacement);
            pos = found + old.Length;
            replaced++;
        }
        return sb.Append(s, pos, s.Length - pos).ToString();
    }

    static List<string> SplitOn(string s, string sep, long max, bool fromRight)
    {
        if (sep.Length == 0) throw new TemplateError("empty separator");
        var parts = s.Split(sep).ToList();
        if (max < 0 || parts.Count - 1 <= max) return parts;
        int keep = (int)max;
        return fromRight
            ? [string.Join(sep, parts.Take(parts.Count - keep)), .. parts.Skip(parts.Count - keep)]
            : [.. parts.Take(keep), string.Join(sep, parts.Skip(keep))];
    }

    static List<string> SplitWhitespace(string s, long max, bool fromRight)
    {
        var words = s.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries).ToList();
        if (max < 0 || words.Count - 1 <= max) return words;
        // Python keeps the rest of the text (inner whitespace included) as the last piece.
        var result = new List<string>();
        string rest = fromRight ? s.TrimEnd() : s.TrimStart();
        for (int i = 0; i < max; i++)
        {
            if (fromRight)
            {
                int cut = rest.Length - 1;
                while (cut >= 0 && !char.IsWhiteSpace(rest[cut])) cut--;
                result.Insert(0, rest[(cut + 1)..]);
                rest = rest[..(cut + 1)].TrimEnd();
            }
            else
            {
                int cut = 0;
                while (cut < rest.Length && !char.IsWhiteSpace(rest[cut])) cut++;
                result.Add(rest[..cut]);
                rest = rest[cut..].TrimStart();
            }
        }
        if (fromRight) result.Insert(0, rest); else result.Add(rest);
        return result;
    }
}
