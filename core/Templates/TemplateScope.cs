namespace Adapters.Core.Templates;

/// <summary>
/// Variables visible at one point of a render. As in Jinja, each for-loop iteration and each macro call
/// gets its own scope, so a <c>{% set %}</c> inside a loop body is gone after the iteration (the reason
/// templates use <c>namespace()</c>); if-blocks share their enclosing scope.
/// </summary>
internal sealed class TemplateScope(TemplateScope? parent)
{
    readonly Dictionary<string, object?> variables = new(StringComparer.Ordinal);

    public bool TryLookup(string name, out object? value)
    {
        for (var scope = this; scope != null; scope = scope.Parent)
            if (scope.variables.TryGetValue(name, out value)) return true;
        value = null;
        return false;
    }

    public void Set(string name, object? value) => variables[name] = value;

    public TemplateScope? Parent { get; } = parent;
}
