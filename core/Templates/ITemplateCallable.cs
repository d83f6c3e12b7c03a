namespace Adapters.Core.Templates;

/// <summary>Something a template can call: a macro, a global function or a bound method.</summary>
internal interface ITemplateCallable
{
    object? Call(List<object?> args, List<(string Name, object? Value)> kwargs);
}
