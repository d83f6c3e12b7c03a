using System.Globalization;
using Adapters.Core.IO;

namespace Adapters.Core.Templates;

/// <summary>
/// Recursive-descent parser of the Jinja subset chat templates use, with Jinja's operator precedence.
/// Anything outside the subset (an unknown statement, filter, test or method) is refused here,
/// naming it and its line, so a template that loads is one this renderer can run.
/// </summary>
internal sealed class TemplateParser
{
    /// <summary>Jinja statements and globals that exist in Jinja but are deliberately not implemented.</summary>
    static readonly HashSet<string> UnsupportedGlobals = ["lipsum", "cycler", "joiner", "self", "varargs", "kwargs"];

    readonly List<TemplateToken> tokens;
    readonly string origin;
    int index;
    int loopDepth;

    TemplateParser(List<TemplateToken> tokens, string origin)
    {
        this.tokens = tokens;
        this.origin = origin;
    }

    public static List<TemplateNode> Parse(string source, string origin)
    {
        var parser = new TemplateParser(TemplateLexer.Tokenize(source, origin), origin);
        return parser.Subparse([], "", 0);
    }

    TemplateToken Current => tokens[index];
    TemplateToken PeekAt(int offset) => tokens[Math.Min(index + offset, tokens.Count - 1)];
    TemplateToken Next() => tokens[index++];

    InvalidFileException Error(int line, string problem) => new(origin, $"line {line}: {problem}");

    TemplateToken Expect(TemplateTokenKind kind, string? value, string what)
    {
        var token = Current;
        if (token.Kind != kind || (value != null && token.Value != value))
            throw Error(token.Line, $"expected {what}, found {token}");
        return Next();
    }

    void ExpectOperator(string op) => Expect(TemplateTokenKind.Operator, op, $"'{op}'");
    void ExpectBlockEnd() => Expect(TemplateTokenKind.BlockEnd, null, "'%}'");
    string ExpectName(string what) => Expect(TemplateTokenKind.Name, null, what).Value;

    bool SkipOperator(string op)
    {
        if (!Current.IsOperator(op)) return false;
        index++;
        return true;
    }

    bool SkipName(string name)
    {
        if (!Current.IsName(name)) return false;
        index++;
        return true;
    }

    /// <summary>Nodes up to a block tag whose keyword is one of <paramref name="ends"/>; returns with that keyword as the current token.</summary>
    List<TemplateNode> Subparse(string[] ends, string opener, int openerLine)
    {
        var body = new List<TemplateNode>();
        while (true)
        {
            var token = Current;
            switch (token.Kind)
            {
                case TemplateTokenKind.Text:
                    body.Add(new TextNode(token.Line, token.Value));
                    index++;
                    break;
                case TemplateTokenKind.VariableBegin:
                    index++;
                    var value = ParseTupleOrExpression();
                    Expect(TemplateTokenKind.VariableEnd, null, "'}}'");
                    body.Add(new OutputNode(token.Line, value));
                    break;
                case TemplateTokenKind.BlockBegin:
                    var keyword = PeekAt(1);
                    if (keyword.Kind == TemplateTokenKind.Name && ends.Contains(keyword.Value))
                    {
                        index++;
                        return body;
                    }
                    index++;
                    body.Add(ParseStatement());
                    break;
                case TemplateTokenKind.End:
                    if (ends.Length > 0)
                        throw Error(openerLine, $"'{{% {opener} %}}' is never closed with '{{% {ends[^1]} %}}'");
                    return body;
                default:
                    throw Error(token.Line, $"unexpected {token}");
            }
        }
    }

    TemplateNode ParseStatement()
    {
        var token = Current;
        if (token.Kind != TemplateTokenKind.Name) throw Error(token.Line, $"expected a statement name after '{{%', found {token}");
        index++;
        int line = token.Line;
        switch (token.Value)
        {
            case "if": return ParseIf(line);
            case "for": return ParseFor(line);
            case "set": return ParseSet(line);
            case "macro": return ParseMacro(line);
            case "call": return ParseCallBlock(line);
            case "generation":
                ExpectBlockEnd();
                var body = Subparse(["endgeneration"], "generation", line);
                index++;
                ExpectBlockEnd();
                return new GenerationNode(line, body);
            case "break" or "continue":
                if (loopDepth == 0) throw Error(line, $"'{{% {token.Value} %}}' outside a for loop");
                ExpectBlockEnd();
                return token.Value == "break" ? new BreakNode(line) : new ContinueNode(line);
            case "elif" or "else" or "endif" or "endfor" or "endmacro" or "endcall" or "endset" or "endgeneration":
                throw Error(line, $"unexpected '{{% {token.Value} %}}' with no open block it could close");
            default:
                throw Error(line, $"unsupported statement '{token.Value}'");
        }
    }

    TemplateNode ParseIf(int line)
    {
        var branches = new List<(Expr, List<TemplateNode>)>();
        var test = ParseExpression();
        ExpectBlockEnd();
        while (true)
        {
            var body = Subparse(["elif", "else", "endif"], "if", line);
            branches.Add((test, body));
            string keyword = Next().Value;
            if (keyword == "elif")
            {
                test = ParseExpression();
                ExpectBlockEnd();
                continue;
            }
            ExpectBlockEnd();
            List<TemplateNode>? elseBody = null;
            if (keyword == "else")
            {
                elseBody = Subparse(["endif"], "if", line);
                index++;
                ExpectBlockEnd();
            }
            return new IfNode(line, branches, elseBody);
        }
    }

    TemplateNode ParseFor(int line)
    {
        var target = ParseAssignTarget(allowAttribute: false);
        Expect(TemplateTokenKind.Name, "in", "'in'");
        var iterable = ParseTupleOrExpression(withConditional: false);
        Expr? filter = null;
        if (SkipName("if")) filter = ParseExpression();
        if (Current.IsName("recursive")) throw Error(Current.Line, "unsupported: recursive for loops");
        ExpectBlockEnd();
        loopDepth++;
        var body = Subparse(["else", "endfor"], "for", line);
        loopDepth--;
        List<TemplateNode>? elseBody = null;
        if (Next().Value == "else")
        {
            ExpectBlockEnd();
            elseBody = Subparse(["endfor"], "for", line);
            index++;
        }
        ExpectBlockEnd();
        return new ForNode(line, target, iterable, filter, body, elseBody);
    }

    TemplateNode ParseSet(int line)
    {
        var target = ParseAssignTarget(allowAttribute: true);
        if (SkipOperator("="))
        {
            var value = ParseTupleOrExpression();
            ExpectBlockEnd();
            return new SetNode(line, target, value);
        }
        if (Current.IsOperator("|")) throw Error(Current.Line, "unsupported: filters on a block set");
        if (target.IsTuple || target.Attribute != null) throw Error(line, "a block set assigns one plain name");
        ExpectBlockEnd();
        var body = Subparse(["endset"], "set", line);
        index++;
        ExpectBlockEnd();
        return new SetBlockNode(line, target.Names[0], body);
    }

    AssignTarget ParseAssignTarget(bool allowAttribute)
    {
        bool parenthesized = SkipOperator("(");
        var names = new List<string> { ExpectName("a variable name") };
        if (allowAttribute && !parenthesized && SkipOperator("."))
            return new AssignTarget(names, false, ExpectName("an attribute name"));
        bool isTuple = parenthesized;
        while (SkipOperator(","))
        {
            isTuple = true;
            if (Current.Kind != TemplateTokenKind.Name || Current.IsName("in")) break;
            names.Add(ExpectName("a variable name"));
        }
        if (parenthesized) ExpectOperator(")");
        foreach (string name in names)
            if (name is "true" or "false" or "none" or "True" or "False" or "None" or "loop")
                throw Error(Current.Line, $"cannot assign to '{name}'");
        return new AssignTarget(names, isTuple, null);
    }

    TemplateNode ParseMacro(int line)
    {
        string name = ExpectName("a macro name");
        var parameters = ParseParameters(required: true);
        ExpectBlockEnd();
        int savedDepth = loopDepth;
        loopDepth = 0;
        var body = Subparse(["endmacro"], "macro", line);
        loopDepth = savedDepth;
        index++;
        SkipName(name);
        ExpectBlockEnd();
        return new MacroNode(line, name, parameters, body);
    }

    List<MacroParameter> ParseParameters(bool required)
    {
        var parameters = new List<MacroParameter>();
        if (!required && !Current.IsOperator("(")) return parameters;
        ExpectOperator("(");
        while (!SkipOperator(")"))
        {
            if (parameters.Count > 0) ExpectOperator(",");
            if (SkipOperator(")")) break;
            if (Current.IsOperator("*") || Current.IsOperator("**")) throw Error(Current.Line, "unsupported: *args/**kwargs parameters");
            string name = ExpectName("a parameter name");
            Expr? fallback = SkipOperator("=") ? ParseExpression() : null;
            if (fallback == null && parameters.Any(p => p.Default != null))
                throw Error(Current.Line, $"parameter '{name}' without a default follows one with a default");
            parameters.Add(new MacroParameter(name, fallback));
        }
        return parameters;
    }

    TemplateNode ParseCallBlock(int line)
    {
        var callerParameters = ParseParameters(required: false);
        var call = ParseExpression() as CallExpr ?? throw Error(line, "'{% call %}' needs a macro call, e.g. {% call my_macro(x) %}");
        ExpectBlockEnd();
        var body = Subparse(["endcall"], "call", line);
        index++;
        ExpectBlockEnd();
        return new CallBlockNode(line, call, callerParameters, body);
    }

    // ---- expressions, lowest precedence first (as jinja2/parser.py) ----

    Expr ParseTupleOrExpression(bool withConditional = true)
    {
        int line = Current.Line;
        var first = ParseExpression(withConditional);
        if (!Current.IsOperator(",")) return first;
        var items = new List<Expr> { first };
        while (SkipOperator(","))
        {
            if (Current.Kind is TemplateTokenKind.BlockEnd or TemplateTokenKind.VariableEnd || Current.IsName("if")) break;
            items.Add(ParseExpression(withConditional));
        }
        return new TupleExpr(line, items);
    }

    Expr ParseExpression(bool withConditional = true) => withConditional ? ParseConditional() : ParseOr();

    Expr ParseConditional()
    {
        var expr = ParseOr();
        while (Current.IsName("if"))
        {
            int line = Next().Line;
            var test = ParseOr();
            Expr? otherwise = SkipName("else") ? ParseConditional() : null;
            expr = new ConditionalExpr(line, test, expr, otherwise);
        }
        return expr;
    }

    Expr ParseOr()
    {
        var left = ParseAnd();
        while (Current.IsName("or"))
        {
            int line = Next().Line;
            left = new BinaryExpr(line, "or", left, ParseAnd());
        }
        return left;
    }

    Expr ParseAnd()
    {
        var left = ParseNot();
        while (Current.IsName("and"))
        {
            int line = Next().Line;
            left = new BinaryExpr(line, "and", left, ParseNot());
        }
        return left;
    }

    Expr ParseNot()
    {
        if (Current.IsName("not"))
        {
            int line = Next().Line;
            return new UnaryExpr(line, "not", ParseNot());
        }
        return ParseCompare();
    }

    Expr ParseCompare()
    {
        int line = Current.Line;
        var first = ParseMath1();
        var rest = new List<(string, Expr)>();
        while (true)
        {
            var token = Current;
            if (token.Kind == TemplateTokenKind.Operator && token.Value is "==" or "!=" or "<" or "<=" or ">" or ">=")
            {
                index++;
                rest.Add((token.Value, ParseMath1()));
            }
            else if (token.IsName("in"))
            {
                index++;
                rest.Add(("in", ParseMath1()));
            }
            else if (token.IsName("not") && PeekAt(1).IsName("in"))
            {
                index += 2;
                rest.Add(("not in", ParseMath1()));
            }
            else break;
        }
        return rest.Count == 0 ? first : new CompareExpr(line, first, rest);
    }

    Expr ParseMath1()
    {
        var left = ParseConcat();
        while (Current.IsOperator("+") || Current.IsOperator("-"))
        {
            var op = Next();
            left = new BinaryExpr(op.Line, op.Value, left, ParseConcat());
        }
        return left;
    }

    Expr ParseConcat()
    {
        var left = ParseMath2();
        while (Current.IsOperator("~"))
        {
            int line = Next().Line;
            left = new BinaryExpr(line, "~", left, ParseMath2());
        }
        return left;
    }

    Expr ParseMath2()
    {
        var left = ParsePow();
        while (Current.Kind == TemplateTokenKind.Operator && Current.Value is "*" or "/" or "//" or "%")
        {
            var op = Next();
            left = new BinaryExpr(op.Line, op.Value, left, ParsePow());
        }
        return left;
    }

    Expr ParsePow()
    {
        var left = ParseUnary();
        while (Current.IsOperator("**"))
        {
            int line = Next().Line;
            left = new BinaryExpr(line, "**", left, ParseUnary());
        }
        return left;
    }

    Expr ParseUnary(bool withFilter = true)
    {
        Expr node;
        if (Current.IsOperator("-") || Current.IsOperator("+"))
        {
            var op = Next();
            node = new UnaryExpr(op.Line, op.Value, ParseUnary(withFilter: false));
        }
        else node = ParsePrimary();
        node = ParsePostfix(node);
        return withFilter ? ParseFilterExpr(node) : node;
    }

    Expr ParsePrimary()
    {
        var token = Next();
        switch (token.Kind)
        {
            case TemplateTokenKind.Name:
                return token.Value switch
                {
                    "true" or "True" => new LiteralExpr(token.Line, true),
                    "false" or "False" => new LiteralExpr(token.Line, false),
                    "none" or "None" => new LiteralExpr(token.Line, null),
                    _ when UnsupportedGlobals.Contains(token.Value) => throw Error(token.Line, $"unsupported: '{token.Value}'"),
                    _ => new NameExpr(token.Line, token.Value),
                };
            case TemplateTokenKind.String:
                string text = token.Value;
                while (Current.Kind == TemplateTokenKind.String) text += Next().Value;
                return new LiteralExpr(token.Line, text);
            case TemplateTokenKind.Integer:
                return new LiteralExpr(token.Line, long.Parse(token.Value, CultureInfo.InvariantCulture));
            case TemplateTokenKind.Float:
                return new LiteralExpr(token.Line, double.Parse(token.Value, CultureInfo.InvariantCulture));
            case TemplateTokenKind.Operator when token.Value == "(":
                if (SkipOperator(")")) return new TupleExpr(token.Line, []);
                var inner = ParseTupleOrExpression();
                if (inner is not TupleExpr && Current.IsOperator(","))
                    inner = new TupleExpr(token.Line, [inner]);
                ExpectOperator(")");
                return inner;
            case TemplateTokenKind.Operator when token.Value == "[":
                var items = new List<Expr>();
                while (!SkipOperator("]"))
                {
                    if (items.Count > 0) ExpectOperator(",");
                    if (SkipOperator("]")) break;
                    items.Add(ParseExpression());
                }
                return new ListExpr(token.Line, items);
            case TemplateTokenKind.Operator when token.Value == "{":
                var pairs = new List<(Expr, Expr)>();
                while (!SkipOperator("}"))
                {
                    if (pairs.Count > 0) ExpectOperator(",");
                    if (SkipOperator("}")) break;
                    var key = ParseExpression();
                    ExpectOperator(":");
                    pairs.Add((key, ParseExpression()));
                }
                return new DictExpr(token.Line, pairs);
            default:
                throw Error(token.Line, $"unexpected {token} in an expression");
        }
    }

    Expr ParsePostfix(Expr node)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOperator("."))
            {
                index++;
                var name = Next();
                if (name.Kind == TemplateTokenKind.Integer)
                    node = new ItemExpr(name.Line, node, new LiteralExpr(name.Line, long.Parse(name.Value, CultureInfo.InvariantCulture)));
                else if (name.Kind == TemplateTokenKind.Name)
                {
                    if (Current.IsOperator("(") && !TemplateMethods.IsSupported(name.Value))
                        throw Error(name.Line, $"unsupported method '{name.Value}'");
                    node = new AttributeExpr(name.Line, node, name.Value);
                }
                else throw Error(name.Line, $"expected an attribute name after '.', found {name}");
            }
            else if (token.IsOperator("["))
            {
                index++;
                node = ParseSubscript(token.Line, node);
            }
            else if (token.IsOperator("("))
                node = ParseCall(node);
            else return node;
        }
    }

    Expr ParseSubscript(int line, Expr target)
    {
        Expr? start = null;
        if (!Current.IsOperator(":"))
        {
            start = ParseExpression();
            if (SkipOperator("]")) return new ItemExpr(line, target, start);
            if (Current.IsOperator(",")) throw Error(line, "unsupported: tuple subscripts");
        }
        ExpectOperator(":");
        Expr? stop = Current.IsOperator(":") || Current.IsOperator("]") ? null : ParseExpression();
        Expr? step = null;
        if (SkipOperator(":") && !Current.IsOperator("]")) step = ParseExpression();
        ExpectOperator("]");
        return new SliceExpr(line, target, start, stop, step);
    }

    CallExpr ParseCall(Expr callee)
    {
        int line = Current.Line;
        var (args, kwargs) = ParseArguments();
        return new CallExpr(line, callee, args, kwargs);
    }

    (List<Expr> Args, List<(string, Expr)> Kwargs) ParseArguments()
    {
        ExpectOperator("(");
        var args = new List<Expr>();
        var kwargs = new List<(string, Expr)>();
        while (!SkipOperator(")"))
        {
            if (args.Count + kwargs.Count > 0) ExpectOperator(",");
            if (SkipOperator(")")) break;
            if (Current.IsOperator("*") || Current.IsOperator("**")) throw Error(Current.Line, "unsupported: *args/**kwargs in a call");
            if (Current.Kind == TemplateTokenKind.Name && PeekAt(1).IsOperator("="))
            {
                string name = Next().Value;
                index++;
                kwargs.Add((name, ParseExpression()));
            }
            else
            {
                if (kwargs.Count > 0) throw Error(Current.Line, "a positional argument follows a keyword argument");
                args.Add(ParseExpression());
            }
        }
        return (args, kwargs);
    }

    Expr ParseFilterExpr(Expr node)
    {
        while (true)
        {
            var token = Current;
            if (token.IsOperator("|"))
            {
                index++;
                var name = Expect(TemplateTokenKind.Name, null, "a filter name after '|'");
                if (!TemplateFilters.IsSupported(name.Value)) throw Error(name.Line, $"unsupported filter '{name.Value}'");
                var (args, kwargs) = Current.IsOperator("(") ? ParseArguments() : ([], []);
                node = new FilterExpr(name.Line, node, name.Value, args, kwargs);
            }
            else if (token.IsName("is"))
            {
                index++;
                bool negated = SkipName("not");
                var name = Expect(TemplateTokenKind.Name, null, "a test name after 'is'");
                string testName = name.Value;
                if (!TemplateTestFunctions.IsSupported(testName)) throw Error(name.Line, $"unsupported test '{testName}'");
                var args = new List<Expr>();
                if (Current.IsOperator("("))
                {
                    var (positional, kwargs) = ParseArguments();
                    if (kwargs.Count > 0) throw Error(name.Line, $"unsupported: keyword arguments to test '{testName}'");
                    args = positional;
                }
                else if (StartsTestArgument(Current))
                    args.Add(ParsePostfix(ParsePrimary()));
                node = new TestExpr(name.Line, node, testName, args, negated);
            }
            else if (token.IsOperator("("))
                node = ParseCall(node);
            else return node;
        }
    }

    /// <summary>Jinja's rule for a test argument without parentheses (<c>x is divisibleby 3</c>).</summary>
    static bool StartsTestArgument(TemplateToken token) =>
        token.Kind is TemplateTokenKind.Name or TemplateTokenKind.String or TemplateTokenKind.Integer or TemplateTokenKind.Float
            ? !(token.IsName("else") || token.IsName("or") || token.IsName("and"))
            : token.IsOperator("(") || token.IsOperator("[") || token.IsOperator("{");
}
