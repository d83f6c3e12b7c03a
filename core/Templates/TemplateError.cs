namespace Adapters.Core.Templates;

/// <summary>A failure while evaluating, before the line is known; the renderer adds origin and line.</summary>
internal sealed class TemplateError(string message, bool raisedByTemplate = false) : Exception(message)
{
    public bool RaisedByTemplate { get; } = raisedByTemplate;
}
