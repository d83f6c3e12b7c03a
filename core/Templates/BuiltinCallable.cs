namespace Adapters.Core.Templates;

/// <summary>A callable made from a delegate (global functions and bound methods).</summary>
internal sealed class BuiltinCallable(string name, Func<List<object?>, List<(string Name, object? Value)>, object?> body) : ITemplateCallable
{
    public string Name { get; } = name;
    public object? Call(List<object?> args, List<(string Name, object? Value)> kwargs) => body(args, kwargs);
}
