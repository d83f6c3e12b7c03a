namespace Adapters.Core.Templates;

/// <summary>The object <c>namespace(...)</c> makes: attributes a for loop body can assign with <c>{% set ns.x = ... %}</c>.</summary>
internal sealed class Namespace
{
    public OrderedDictionary<string, object?> Attributes { get; } = new();
}
