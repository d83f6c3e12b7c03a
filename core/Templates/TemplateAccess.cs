namespace Adapters.Core.Templates;

/// <summary>
/// Jinja's attribute and item lookup: <c>a.b</c> tries the attribute (a method) then the item
/// <c>a['b']</c>; <c>a[k]</c> tries the item then the attribute. What is missing is an
/// <see cref="Undefined"/>; looking into an Undefined is the error.
/// </summary>
internal static class TemplateAccess
{
    public static object? GetAttribute(object? target, string name)
    {
        switch (target)
        {
            case Undefined undefined:
                throw undefined.Fail();
            case LoopContext loop:
                return loop.Attribute(name);
            case Namespace ns:
                return ns.Attributes.TryGetValue(name, out var attribute) ? attribute : Missing(target, name);
        }
        var method = TemplateMethods.BindMethod(target, name);
        if (method != null) return method;
        if (target is OrderedDictionary<string, object?> dict && dict.TryGetValue(name, out var value)) return value;
        return Missing(target, name);
    }

    public static object? GetItem(object? target, object? key)
    {
        switch (target)
        {
            case Undefined undefined:
                throw undefined.Fail();
            case OrderedDictionary<string, object?> dict:
                if (key is string k && dict.TryGetValue(k, out var value)) return value;
                break;
            case List<object?> or object?[] or string when key is long or bool:
                var items = target is string s ? TemplateValues.Characters(s) : TemplateValues.Iterate(target);
                long index = TemplateValues.AsLong(key!);
                if (index < 0) index += items.Count;
                if (index >= 0 && index < items.Count) return items[(int)index];
                return new Undefined($"{TemplateValues.TypeName(target)} index {TemplateValues.Repr(key)} out of range");
        }
        if (key is string name && target is not OrderedDictionary<string, object?>) return GetAttribute(target, name);
        if (key is string method && TemplateMethods.BindMethod(target, method) is { } bound) return bound;
        return new Undefined($"'{Describe(target)}' has no attribute {TemplateValues.Repr(key)}");
    }

    static Undefined Missing(object? target, string name) => new($"'{Describe(target)}' has no attribute '{name}'");

    static string Describe(object? target) => target == null ? "None" : TemplateValues.TypeName(target) + " object";

    /// <summary>Python slicing <c>[start:stop:step]</c> of a list, tuple or string.</summary>
    public static object? Slice(object? target, object? start, object? stop, object? step)
    {
        if (target is Undefined undefined) throw undefined.Fail();
        if (target is not (string or List<object?> or object?[]))
            throw new TemplateError($"'{TemplateValues.TypeName(target)}' object is not subscriptable");
        var items = target is string s ? TemplateValues.Characters(s) : TemplateValues.Iterate(target);
        long n = items.Count;
        long st = step == null ? 1 : CallArguments.Integer("slice step", step);
        if (st == 0) throw new TemplateError("slice step cannot be zero");
        long Clamp(object? bound, long whenMissing)
        {
            if (bound == null) return whenMissing;
            long v = CallArguments.Integer("slice index", bound);
            if (v < 0) v += n;
            return st > 0 ? Math.Clamp(v, 0, n) : Math.Clamp(v, -1, n - 1);
        }
        long from = Clamp(start, st > 0 ? 0 : n - 1);
        long to = Clamp(stop, st > 0 ? n : -1);
        var result = new List<object?>();
        for (long i = from; st > 0 ? i < to : i > to; i += st) result.Add(items[(int)i]);
        return target switch
        {
            string => string.Concat(result.Cast<string>()),
            object?[] => result.ToArray(),
            _ => result,
        };
    }
}
