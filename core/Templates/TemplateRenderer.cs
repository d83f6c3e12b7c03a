using System.Text;
using static Adapters.Core.Templates.TemplateValues;

namespace Adapters.Core.Templates;

/// <summary>
/// Runs a parsed template: statements write text, expressions are evaluated with Jinja's semantics.
/// An evaluation failure becomes a <see cref="TemplateRenderException"/> naming the statement's line.
/// </summary>
internal sealed class TemplateRenderer(string origin)
{
    enum Flow { Normal, Break, Continue }

    /// <summary>Macro calls deeper than this are refused, so a recursive macro cannot overflow the stack.</summary>
    const int MaxMacroDepth = 64;
    int macroDepth;

    public IDisposable EnterMacro(string name)
    {
        if (macroDepth >= MaxMacroDepth) throw new TemplateError($"macro '{name}' nests deeper than {MaxMacroDepth} calls");
        macroDepth++;
        return new MacroExit(this);
    }

    sealed class MacroExit(TemplateRenderer renderer) : IDisposable
    {
        public void Dispose() => renderer.macroDepth--;
    }

    public void Execute(List<TemplateNode> nodes, TemplateScope scope, StringBuilder output)
    {
        if (ExecuteBlock(nodes, scope, output) != Flow.Normal)
            throw new TemplateError("break or continue outside a for loop");
    }

    Flow ExecuteBlock(List<TemplateNode> nodes, TemplateScope scope, StringBuilder output)
    {
        foreach (var node in nodes)
        {
            Flow flow;
            try
            {
                flow = ExecuteNode(node, scope, output);
            }
            catch (TemplateError e)
            {
                throw new TemplateRenderException(origin, node.Line, e.RaisedByTemplate ? $"the template refused: {e.Message}" : e.Message, e.RaisedByTemplate);
            }
            if (flow != Flow.Normal) return flow;
        }
        return Flow.Normal;
    }

    Flow ExecuteNode(TemplateNode node, TemplateScope scope, StringBuilder output)
    {
        switch (node)
        {
            case TextNode text:
                output.Append(text.Text);
                return Flow.Normal;
            case OutputNode o:
                output.Append(ToStr(Evaluate(o.Value, scope)));
                return Flow.Normal;
            case IfNode i:
                foreach (var (test, body) in i.Branches)
                    if (IsTrue(Evaluate(test, scope))) return ExecuteBlock(body, scope, output);
                return i.Else != null ? ExecuteBlock(i.Else, scope, output) : Flow.Normal;
            case ForNode f:
                ExecuteFor(f, scope, output);
                return Flow.Normal;
            case SetNode s:
                Assign(s.Target, Evaluate(s.Value, scope), scope);
                return Flow.Normal;
            case SetBlockNode b:
                var captured = new StringBuilder();
                Execute(b.Body, scope, captured);
                scope.Set(b.Name, captured.ToString());
                return Flow.Normal;
            case MacroNode m:
                scope.Set(m.Name, new Macro(m.Name, m.Parameters, m.Body, scope, this));
                return Flow.Normal;
            case CallBlockNode c:
                var caller = new Macro("caller", c.CallerParameters, c.Body, scope, this);
                var callee = Evaluate(c.Call.Callee, scope);
                var (args, kwargs) = EvaluateArguments(c.Call.Args, c.Call.Kwargs, scope);
                kwargs.Add(("caller", caller));
                output.Append(ToStr(Invoke(callee, args, kwargs)));
                return Flow.Normal;
            case GenerationNode g:
                return ExecuteBlock(g.Body, scope, output);
            case BreakNode:
                return Flow.Break;
            case ContinueNode:
                return Flow.Continue;
            default:
                throw new TemplateError($"unsupported node {node.GetType().Name}");
        }
    }

    void ExecuteFor(ForNode f, TemplateScope scope, StringBuilder output)
    {
        var iterable = Evaluate(f.Iterable, scope);
        if (iterable == null) throw new TemplateError("'NoneType' object is not iterable");
        IReadOnlyList<object?> items = Iterate(iterable);
        if (f.Filter != null)
        {
            var kept = new List<object?>();
            foreach (var item in items)
            {
                var probe = new TemplateScope(scope);
                Assign(f.Target, item, probe);
                if (IsTrue(Evaluate(f.Filter, probe))) kept.Add(item);
            }
            items = kept;
        }
        if (items.Count == 0)
        {
            if (f.Else != null) Execute(f.Else, scope, output);
            return;
        }
        var loop = new LoopContext(items);
        for (int i = 0; i < items.Count; i++)
        {
            loop.Index0 = i;
            var iteration = new TemplateScope(scope);
            iteration.Set("loop", loop);
            Assign(f.Target, items[i], iteration);
            if (ExecuteBlock(f.Body, iteration, output) == Flow.Break) break;
        }
    }

    void Assign(AssignTarget target, object? value, TemplateScope scope)
    {
        if (target.Attribute != null)
        {
            if (!scope.TryLookup(target.Names[0], out var holder) || holder is not Namespace ns)
                throw new TemplateError($"cannot assign attribute '{target.Attribute}' on '{target.Names[0]}': it is not a namespace()");
            ns.Attributes[target.Attribute] = value;
            return;
        }
        if (!target.IsTuple)
        {
            scope.Set(target.Names[0], value);
            return;
        }
        var items = Iterate(value);
        if (items.Count != target.Names.Count)
            throw new TemplateError(items.Count > target.Names.Count
                ? $"too many values to unpack (expected {target.Names.Count})"
                : $"not enough values to unpack (expected {target.Names.Count}, got {items.Count})");
        for (int i = 0; i < items.Count; i++) scope.Set(target.Names[i], items[i]);
    }

    public object? Evaluate(Expr expr, TemplateScope scope)
    {
        switch (expr)
        {
            case LiteralExpr l:
                return l.Value;
            case NameExpr n:
                return scope.TryLookup(n.Name, out var value) ? value : Undefined.Named(n.Name);
            case ListExpr list:
                return list.Items.Select(x => Evaluate(x, scope)).ToList();
            case TupleExpr tuple:
                return tuple.Items.Select(x => Evaluate(x, scope)).ToArray();
            case DictExpr dict:
                var result = new OrderedDictionary<string, object?>();
                foreach (var (k, v) in dict.Pairs)
                {
                    var key = Evaluate(k, scope);
                    if (key is not string s) throw new TemplateError($"unsupported: dict keys of type {TypeName(key)} (only strings)");
                    result[s] = Evaluate(v, scope);
                }
                return result;
            case AttributeExpr a:
                return TemplateAccess.GetAttribute(Evaluate(a.Target, scope), a.Name);
            case ItemExpr i:
                return TemplateAccess.GetItem(Evaluate(i.Target, scope), Evaluate(i.Index, scope));
            case SliceExpr s:
                return TemplateAccess.Slice(Evaluate(s.Target, scope), Bound(s.Start, scope), Bound(s.Stop, scope), Bound(s.Step, scope));
            case CallExpr c:
                var callee = Evaluate(c.Callee, scope);
                var (args, kwargs) = EvaluateArguments(c.Args, c.Kwargs, scope);
                return Invoke(callee, args, kwargs);
            case FilterExpr f:
                var (fargs, fkwargs) = EvaluateArguments(f.Args, f.Kwargs, scope);
                return TemplateFilters.Apply(f.Name, Evaluate(f.Value, scope), fargs, fkwargs);
            case TestExpr t:
                var tested = Evaluate(t.Value, scope);
                bool passed = TemplateTestFunctions.Apply(t.Name, tested, t.Args.Select(x => Evaluate(x, scope)).ToList());
                return passed != t.Negated;
            case UnaryExpr u:
                var operand = Evaluate(u.Operand, scope);
                return u.Operator == "not" ? !IsTrue(operand) : TemplateOperators.Unary(u.Operator, operand);
            case BinaryExpr b when b.Operator is "and" or "or":
                var left = Evaluate(b.Left, scope);
                bool leftTrue = IsTrue(left);
                if (b.Operator == "and") return leftTrue ? Evaluate(b.Right, scope) : left;
                return leftTrue ? left : Evaluate(b.Right, scope);
            case BinaryExpr b:
                return TemplateOperators.Binary(b.Operator, Evaluate(b.Left, scope), Evaluate(b.Right, scope));
            case CompareExpr cmp:
                return EvaluateComparison(cmp, scope);
            case ConditionalExpr cond:
                if (IsTrue(Evaluate(cond.Test, scope))) return Evaluate(cond.Then, scope);
                return cond.Else != null ? Evaluate(cond.Else, scope)
                    : new Undefined("the inline if-expression evaluated to false and has no else section");
            default:
                throw new TemplateError($"unsupported expression {expr.GetType().Name}");
        }
    }

    object? Bound(Expr? expr, TemplateScope scope)
    {
        if (expr == null) return null;
        var value = Evaluate(expr, scope);
        if (value is Undefined u) throw u.Fail();
        return value;
    }

    bool EvaluateComparison(CompareExpr cmp, TemplateScope scope)
    {
        var left = Evaluate(cmp.First, scope);
        foreach (var (op, operandExpr) in cmp.Rest)
        {
            var right = Evaluate(operandExpr, scope);
            bool holds = op switch
            {
                "==" => AreEqual(left, right),
                "!=" => !AreEqual(left, right),
                "<" => Compare(left, right, op) < 0,
                "<=" => Compare(left, right, op) <= 0,
                ">" => Compare(left, right, op) > 0,
                ">=" => Compare(left, right, op) >= 0,
                "in" => Contains(right, left),
                _ => !Contains(right, left),
            };
            if (!holds) return false;
            left = right;
        }
        return true;
    }

    (List<object?> Args, List<(string Name, object? Value)> Kwargs) EvaluateArguments(List<Expr> args, List<(string Name, Expr Value)> kwargs, TemplateScope scope) =>
        (args.Select(a => Evaluate(a, scope)).ToList(), kwargs.Select(k => (k.Name, Evaluate(k.Value, scope))).ToList());

    static object? Invoke(object? callee, List<object?> args, List<(string Name, object? Value)> kwargs) => callee switch
    {
        ITemplateCallable callable => callable.Call(args, kwargs),
        Undefined u => throw u.Fail(),
        _ => throw new TemplateError($"'{TypeName(callee)}' object is not callable"),
    };
}
