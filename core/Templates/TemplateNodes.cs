namespace Adapters.Core.Templates;

// The syntax tree of a parsed template: statements render text, expressions produce values.
// Every node keeps the template line it came from, for error messages.

internal abstract record TemplateNode(int Line);

internal sealed record TextNode(int Line, string Text) : TemplateNode(Line);
internal sealed record OutputNode(int Line, Expr Value) : TemplateNode(Line);
internal sealed record IfNode(int Line, List<(Expr Test, List<TemplateNode> Body)> Branches, List<TemplateNode>? Else) : TemplateNode(Line);
internal sealed record ForNode(int Line, AssignTarget Target, Expr Iterable, Expr? Filter, List<TemplateNode> Body, List<TemplateNode>? Else) : TemplateNode(Line);
internal sealed record SetNode(int Line, AssignTarget Target, Expr Value) : TemplateNode(Line);
internal sealed record SetBlockNode(int Line, string Name, List<TemplateNode> Body) : TemplateNode(Line);
internal sealed record MacroNode(int Line, string Name, List<MacroParameter> Parameters, List<TemplateNode> Body) : TemplateNode(Line);
internal sealed record CallBlockNode(int Line, CallExpr Call, List<MacroParameter> CallerParameters, List<TemplateNode> Body) : TemplateNode(Line);
internal sealed record BreakNode(int Line) : TemplateNode(Line);
internal sealed record ContinueNode(int Line) : TemplateNode(Line);
/// <summary><c>{% generation %}</c> marks assistant text for masks in Hugging Face; it renders its body unchanged.</summary>
internal sealed record GenerationNode(int Line, List<TemplateNode> Body) : TemplateNode(Line);

internal sealed record MacroParameter(string Name, Expr? Default);

/// <summary>What a set or for statement assigns to: names (one, or a tuple to unpack) or <c>ns.attr</c>.</summary>
internal sealed record AssignTarget(List<string> Names, bool IsTuple, string? Attribute)
{
    public static AssignTarget Single(string name) => new([name], false, null);
}

internal abstract record Expr(int Line);

internal sealed record LiteralExpr(int Line, object? Value) : Expr(Line);
internal sealed record NameExpr(int Line, string Name) : Expr(Line);
internal sealed record ListExpr(int Line, List<Expr> Items) : Expr(Line);
internal sealed record TupleExpr(int Line, List<Expr> Items) : Expr(Line);
internal sealed record DictExpr(int Line, List<(Expr Key, Expr Value)> Pairs) : Expr(Line);
internal sealed record AttributeExpr(int Line, Expr Target, string Name) : Expr(Line);
internal sealed record ItemExpr(int Line, Expr Target, Expr Index) : Expr(Line);
internal sealed record SliceExpr(int Line, Expr Target, Expr? Start, Expr? Stop, Expr? Step) : Expr(Line);
internal sealed record CallExpr(int Line, Expr Callee, List<Expr> Args, List<(string Name, Expr Value)> Kwargs) : Expr(Line);
internal sealed record FilterExpr(int Line, Expr Value, string Name, List<Expr> Args, List<(string Name, Expr Value)> Kwargs) : Expr(Line);
internal sealed record TestExpr(int Line, Expr Value, string Name, List<Expr> Args, bool Negated) : Expr(Line);
internal sealed record UnaryExpr(int Line, string Operator, Expr Operand) : Expr(Line);
internal sealed record BinaryExpr(int Line, string Operator, Expr Left, Expr Right) : Expr(Line);
internal sealed record CompareExpr(int Line, Expr First, List<(string Operator, Expr Operand)> Rest) : Expr(Line);
internal sealed record ConditionalExpr(int Line, Expr Test, Expr Then, Expr? Else) : Expr(Line);
