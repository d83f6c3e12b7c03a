using static Adapters.Core.Templates.TemplateValues;

namespace Adapters.Core.Templates;

/// <summary>Python's arithmetic and Jinja's <c>~</c> on template values; bool counts as an int, as in Python.</summary>
internal static class TemplateOperators
{
    public static object? Binary(string op, object? a, object? b)
    {
        if (op == "~") return ToStr(a) + ToStr(b);
        if (a is Undefined ua) throw ua.Fail();
        if (b is Undefined ub) throw ub.Fail();
        try
        {
            return checked(Arithmetic(op, a, b));
        }
        catch (OverflowException)
        {
            throw new TemplateError($"integer overflow in '{op}'");
        }
    }

    static object? Arithmetic(string op, object? a, object? b)
    {
        bool numbers = IsNumber(a) && IsNumber(b);
        bool integers = numbers && a is not double && b is not double;
        switch (op)
        {
            case "+":
                if (integers) return checked(AsLong(a!) + AsLong(b!));
                if (numbers) return ToDouble(a) + ToDouble(b);
                if (a is string sa && b is string sb) return sa + sb;
                if (a is List<object?> la && b is List<object?> lb) return la.Concat(lb).ToList();
                if (a is object?[] ta && b is object?[] tb) return ta.Concat(tb).ToArray();
                break;
            case "-":
                if (integers) return checked(AsLong(a!) - AsLong(b!));
                if (numbers) return ToDouble(a) - ToDouble(b);
                break;
            case "*":
                if (integers) return checked(AsLong(a!) * AsLong(b!));
                if (numbers) return ToDouble(a) * ToDouble(b);
                if (a is string or List<object?> && b is long or bool) return Repeat(a, AsLong(b!));
                if (b is string or List<object?> && a is long or bool) return Repeat(b, AsLong(a!));
                break;
            case "/":
                if (numbers)
                {
                    if (ToDouble(b) == 0) throw new TemplateError("division by zero");
                    return ToDouble(a) / ToDouble(b);
                }
                break;
            case "//":
                if (numbers && ToDouble(b) == 0) throw new TemplateError("integer division or modulo by zero");
                if (integers)
                {
                    long x = AsLong(a!), y = AsLong(b!);
                    long q = x / y;
                    return (x % y != 0 && (x < 0) != (y < 0)) ? q - 1 : q;
                }
                if (numbers) return Math.Floor(ToDouble(a) / ToDouble(b));
                break;
            case "%":
                if (a is string) throw new TemplateError("unsupported: string % formatting");
                if (numbers && ToDouble(b) == 0) throw new TemplateError("integer division or modulo by zero");
                if (integers)
                {
                    long x = AsLong(a!), y = AsLong(b!);
                    long r = x % y;
                    return r != 0 && (r < 0) != (y < 0) ? r + y : r;
                }
                if (numbers)
                {
                    double x = ToDouble(a), y = ToDouble(b);
                    return x - y * Math.Floor(x / y);
                }
                break;
            case "**":
                if (integers && AsLong(b!) >= 0)
                {
                    long result = 1, x = AsLong(a!);
                    for (long e = AsLong(b!); e > 0; e >>= 1)
                    {
                        if ((e & 1) == 1) result = checked(result * x);
                        if (e > 1) x = checked(x * x);
                    }
                    return result;
                }
                if (numbers) return Math.Pow(ToDouble(a), ToDouble(b));
                break;
        }
        throw new TemplateError($"unsupported operand type(s) for {op}: '{TypeName(a)}' and '{TypeName(b)}'");
    }

    static object Repeat(object sequence, long times)
    {
        if (sequence is string s) return times <= 0 ? "" : string.Concat(Enumerable.Repeat(s, (int)times));
        var list = (List<object?>)sequence;
        return times <= 0 ? new List<object?>() : Enumerable.Repeat(list, (int)times).SelectMany(x => x).ToList();
    }

    public static object? Unary(string op, object? value)
    {
        if (value is Undefined u) throw u.Fail();
        return (op, value) switch
        {
            ("-", long l) => checked(-l),
            ("-", bool b) => b ? -1L : 0L,
            ("-", double d) => -d,
            ("+", long or double) => value,
            ("+", bool b) => b ? 1L : 0L,
            _ => throw new TemplateError($"bad operand type for unary {op}: '{TypeName(value)}'"),
        };
    }
}
