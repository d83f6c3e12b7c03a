namespace Adapters.Core.Templates;

/// <summary>Matches the positional and keyword arguments of a call to a filter, test, method or global by Python's rules.</summary>
internal static class CallArguments
{
    /// <summary>Marks a parameter the caller did not pass.</summary>
    public static readonly object Missing = new();

    /// <summary>
    /// One slot per parameter name, <see cref="Missing"/> where not given; a name ending in '!' is required.
    /// Extra, unknown or missing required arguments are an error.
    /// </summary>
    public static object?[] Bind(string what, List<object?> args, List<(string Name, object? Value)> kwargs, params string[] parameters)
    {
        string[] names = parameters.Select(p => p.TrimEnd('!')).ToArray();
        if (args.Count > names.Length)
            throw new TemplateError($"{what} takes at most {names.Length} argument(s), {args.Count} given");
        var slots = new object?[names.Length];
        Array.Fill(slots, Missing);
        for (int i = 0; i < args.Count; i++) slots[i] = args[i];
        foreach (var (name, value) in kwargs)
        {
            int index = Array.IndexOf(names, name);
            if (index < 0) throw new TemplateError($"{what} got an unexpected keyword argument '{name}'");
            if (!ReferenceEquals(slots[index], Missing)) throw new TemplateError($"{what} got multiple values for argument '{name}'");
            slots[index] = value;
        }
        for (int i = 0; i < names.Length; i++)
            if (parameters[i].EndsWith('!') && ReferenceEquals(slots[i], Missing))
                throw new TemplateError($"{what} is missing the required argument '{names[i]}'");
        return slots;
    }

    public static object? Or(object? slot, object? fallback) => ReferenceEquals(slot, Missing) ? fallback : slot;

    public static bool Given(object? slot) => !ReferenceEquals(slot, Missing);

    public static string String(string what, object? slot)
    {
        if (slot is string s) return s;
        if (slot is Undefined u) throw u.Fail();
        throw new TemplateError($"{what} expects a string, got {TemplateValues.TypeName(slot)}");
    }

    public static long Integer(string what, object? slot) => slot switch
    {
        long l => l,
        bool b => b ? 1 : 0,
        Undefined u => throw u.Fail(),
        _ => throw new TemplateError($"{what} expects an integer, got {TemplateValues.TypeName(slot)}"),
    };
}
