namespace Adapters.Core.Templates;

/// <summary>
/// Jinja's default Undefined: what a missing variable, key or attribute evaluates to. It renders as
/// nothing, is false, iterates as empty and has length 0; reading an attribute or item of it, calling
/// it or doing arithmetic with it is an error naming what was missing.
/// </summary>
internal sealed class Undefined(string description)
{
    /// <summary>Says what was missing, e.g. <c>'x' is undefined</c> or <c>'dict object' has no attribute 'y'</c>.</summary>
    public string Description { get; } = description;

    public static Undefined Named(string name) => new($"'{name}' is undefined");

    public TemplateError Fail() => new(Description);
}
