namespace Adapters.Core.Templates;

internal enum TemplateTokenKind { Text, VariableBegin, VariableEnd, BlockBegin, BlockEnd, Name, String, Integer, Float, Operator, End }

/// <summary>One lexical unit of a template; <see cref="Line"/> is 1-based in the template source.</summary>
internal readonly record struct TemplateToken(TemplateTokenKind Kind, string Value, int Line)
{
    public bool Is(TemplateTokenKind kind, string value) => Kind == kind && Value == value;
    public bool IsName(string name) => Is(TemplateTokenKind.Name, name);
    public bool IsOperator(string op) => Is(TemplateTokenKind.Operator, op);

    public override string ToString() => Kind switch
    {
        TemplateTokenKind.End => "end of template",
        TemplateTokenKind.Text => "text",
        TemplateTokenKind.String => $"string '{Value}'",
        _ => $"'{Value}'",
    };
}
