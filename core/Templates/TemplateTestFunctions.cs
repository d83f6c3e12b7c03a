using static Adapters.Core.Templates.TemplateValues;

namespace Adapters.Core.Templates;

/// <summary>Jinja's tests, the right-hand side of <c>x is defined</c>, <c>x is not none</c>, <c>n is divisibleby 3</c>.</summary>
internal static class TemplateTestFunctions
{
    static readonly HashSet<string> Names =
    [
        "defined", "undefined", "none", "boolean", "true", "false", "integer", "float", "number", "string", "mapping",
        "iterable", "sequence", "callable", "sameas", "odd", "even", "divisibleby", "eq", "equalto", "==", "ne", "!=",
        "lt", "lessthan", "<", "le", "<=", "gt", "greaterthan", ">", "ge", ">=", "in", "lower", "upper",
    ];

    public static bool IsSupported(string name) => Names.Contains(name);

    public static bool Apply(string name, object? value, IReadOnlyList<object?> args)
    {
        if (!IsSupported(name)) throw new TemplateError($"unsupported test '{name}'");
        int expected = name switch
        {
            "sameas" or "divisibleby" or "eq" or "equalto" or "==" or "ne" or "!=" or "lt" or "lessthan" or "<" or "le" or "<="
                or "gt" or "greaterthan" or ">" or "ge" or ">=" or "in" => 1,
            _ => 0,
        };
        if (args.Count != expected) throw new TemplateError($"test '{name}' takes {expected} argument(s), {args.Count} given");
        object? other = expected == 1 ? args[0] : null;
        return name switch
        {
            "defined" => value is not Undefined,
            "undefined" => value is Undefined,
            "none" => value == null,
            "boolean" => value is bool,
            "true" => value is true,
            "false" => value is false,
            "integer" => value is long,
            "float" => value is double,
            "number" => value is bool or long or double,
            "string" => value is string,
            "mapping" => value is OrderedDictionary<string, object?>,
            "iterable" => value is string or List<object?> or object?[] or OrderedDictionary<string, object?> or Undefined,
            "sequence" => value is string or List<object?> or object?[] or OrderedDictionary<string, object?>,
            "callable" => value is ITemplateCallable,
            "sameas" => ReferenceEquals(value, other) || (value is bool or null && AreEqual(value, other) && value?.GetType() == other?.GetType()),
            "odd" => CallArguments.Integer("test 'odd'", value) % 2 != 0,
            "even" => CallArguments.Integer("test 'even'", value) % 2 == 0,
            "divisibleby" => CallArguments.Integer("test 'divisibleby'", value) % CallArguments.Integer("test 'divisibleby'", other) == 0,
            "eq" or "equalto" or "==" => AreEqual(value, other),
            "ne" or "!=" => !AreEqual(value, other),
            "lt" or "lessthan" or "<" => Compare(value, other, "<") < 0,
            "le" or "<=" => Compare(value, other, "<=") <= 0,
            "gt" or "greaterthan" or ">" => Compare(value, other, ">") > 0,
            "ge" or ">=" => Compare(value, other, ">=") >= 0,
            "in" => Contains(other, value),
            "lower" => ToStr(value) is var s && s == s.ToLowerInvariant(),
            _ => ToStr(value) is var u && u == u.ToUpperInvariant(),
        };
    }
}
