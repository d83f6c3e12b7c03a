using System.Text;

namespace Adapters.Core.Templates;

/// <summary>
/// A <c>{% macro %}</c> (or the body of a <c>{% call %}</c> block, which the called macro sees as
/// <c>caller</c>): calling it renders its body in a fresh scope over the scope it was defined in.
/// </summary>
internal sealed class Macro(string name, List<MacroParameter> parameters, List<TemplateNode> body, TemplateScope closure, TemplateRenderer renderer)
    : ITemplateCallable
{
    public object? Call(List<object?> args, List<(string Name, object? Value)> kwargs)
    {
        if (args.Count > parameters.Count)
            throw new TemplateError($"macro '{name}' takes not more than {parameters.Count} argument(s)");
        var scope = new TemplateScope(closure);
        var given = new Dictionary<string, object?>(StringComparer.Ordinal);
        for (int i = 0; i < args.Count; i++) given[parameters[i].Name] = args[i];
        foreach (var (key, value) in kwargs)
        {
            if (key != "caller" && !parameters.Any(p => p.Name == key))
                throw new TemplateError($"macro '{name}' takes no keyword argument '{key}'");
            if (!given.TryAdd(key, value)) throw new TemplateError($"macro '{name}' got multiple values for argument '{key}'");
        }
        if (given.TryGetValue("caller", out var caller) && !parameters.Any(p => p.Name == "caller")) scope.Set("caller", caller);
        foreach (var parameter in parameters)
        {
            object? value = given.TryGetValue(parameter.Name, out var v) ? v
                : parameter.Default != null ? renderer.Evaluate(parameter.Default, scope)
                : new Undefined($"parameter '{parameter.Name}' of macro '{name}' was not provided");
            scope.Set(parameter.Name, value);
        }
        var output = new StringBuilder();
        using (renderer.EnterMacro(name)) renderer.Execute(body, scope, output);
        return output.ToString();
    }
}
