namespace Adapters.Core.Templates;

/// <summary>
/// A chat template failed while rendering a conversation: it called <c>raise_exception</c> (the template
/// refuses the conversation, e.g. roles that do not alternate) or an expression could not be evaluated.
/// The message is one line, <c>ORIGIN: line N: problem</c>. Errors found while parsing are
/// <see cref="Adapters.Core.IO.InvalidFileException"/>s instead, since the file itself is unusable.
/// </summary>
public sealed class TemplateRenderException(string origin, int line, string problem, bool raisedByTemplate)
    : InvalidOperationException($"{origin}: line {line}: {problem}")
{
    public string Origin { get; } = origin;
    public int Line { get; } = line;
    public string Problem { get; } = problem;

    /// <summary>True when the template itself called <c>raise_exception(message)</c>.</summary>
    public bool RaisedByTemplate { get; } = raisedByTemplate;
}
