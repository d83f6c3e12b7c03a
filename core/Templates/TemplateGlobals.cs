using System.Globalization;
using System.Text;
using static Adapters.Core.Templates.CallArguments;

namespace Adapters.Core.Templates;

/// <summary>
/// The global functions a chat template can call: Jinja's <c>range</c>, <c>namespace</c> and
/// <c>dict</c>, and the two Hugging Face adds, <c>raise_exception(message)</c> and
/// <c>strftime_now(format)</c> (Llama 3.1+ writes today's date into the system prompt with it).
/// </summary>
internal static class TemplateGlobals
{
    public static void AddTo(TemplateScope scope, TimeProvider clock)
    {
        scope.Set("range", new BuiltinCallable("range", Range));
        scope.Set("namespace", new BuiltinCallable("namespace", MakeNamespace));
        scope.Set("dict", new BuiltinCallable("dict", (args, kwargs) =>
        {
            if (args.Count > 0) throw new TemplateError("dict() takes keyword arguments only");
            var dict = new OrderedDictionary<string, object?>();
            foreach (var (k, v) in kwargs) dict[k] = v;
            return dict;
        }));
        scope.Set("raise_exception", new BuiltinCallable("raise_exception", (args, kwargs) =>
        {
            var a = Bind("raise_exception()", args, kwargs, "message");
            throw new TemplateError(TemplateValues.ToStr(Or(a[0], "")), raisedByTemplate: true);
        }));
        scope.Set("strftime_now", new BuiltinCallable("strftime_now", (args, kwargs) =>
        {
            var a = Bind("strftime_now()", args, kwargs, "format!");
            return Strftime(clock.GetLocalNow().DateTime, String("strftime_now()", a[0]));
        }));
    }

    static object? Range(List<object?> args, List<(string Name, object? Value)> kwargs)
    {
        if (kwargs.Count > 0 || args.Count is 0 or > 3) throw new TemplateError("range() takes 1 to 3 integer arguments");
        long start = 0, stop, step = 1;
        if (args.Count == 1) stop = Integer("range()", args[0]);
        else
        {
            start = Integer("range()", args[0]);
            stop = Integer("range()", args[1]);
            if (args.Count == 3) step = Integer("range()", args[2]);
        }
        if (step == 0) throw new TemplateError("range() arg 3 must not be zero");
        var result = new List<object?>();
        for (long i = start; step > 0 ? i < stop : i > stop; i += step)
        {
            if (result.Count >= 1_000_000) throw new TemplateError("range() is too long (more than 1,000,000 items)");
            result.Add(i);
        }
        return result;
    }

    static object? MakeNamespace(List<object?> args, List<(string Name, object? Value)> kwargs)
    {
        var ns = new Namespace();
        foreach (var arg in args)
        {
            if (arg is not OrderedDictionary<string, object?> dict) throw new TemplateError("namespace() takes a dict or keyword arguments");
            foreach (var (k, v) in dict) ns.Attributes[k] = v;
        }
        foreach (var (k, v) in kwargs) ns.Attributes[k] = v;
        return ns;
    }

    /// <summary>Python's strftime for the directives dates in prompts use; glibc's <c>%-d</c> form drops the padding.</summary>
    public static string Strftime(DateTime time, string format)
    {
        var c = CultureInfo.InvariantCulture;
        var sb = new StringBuilder();
        for (int i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length) { sb.Append(format[i]); continue; }
            char d = format[++i];
            bool unpadded = d == '-' && i + 1 < format.Length;
            if (unpadded) d = format[++i];
            string Pad(int value, int width) => unpadded ? value.ToString(c) : value.ToString(new string('0', width), c);
            sb.Append(d switch
            {
                'a' => time.ToString("ddd", c),
                'A' => time.ToString("dddd", c),
                'b' or 'h' => time.ToString("MMM", c),
                'B' => time.ToString("MMMM", c),
                'd' => Pad(time.Day, 2),
                'e' => time.Day.ToString(c).PadLeft(2),
                'm' => Pad(time.Month, 2),
                'y' => Pad(time.Year % 100, 2),
                'Y' => time.Year.ToString(c),
                'H' => Pad(time.Hour, 2),
                'I' => Pad(time.Hour % 12 == 0 ? 12 : time.Hour % 12, 2),
                'M' => Pad(time.Minute, 2),
                'S' => Pad(time.Second, 2),
                'p' => time.Hour < 12 ? "AM" : "PM",
                'j' => Pad(time.DayOfYear, 3),
                'f' => (time.Ticks % TimeSpan.TicksPerSecond / 10).ToString("000000", c),
                'F' => time.ToString("yyyy-MM-dd", c),
                'T' => time.ToString("HH:mm:ss", c),
                '%' => "%",
                _ => throw new TemplateError($"unsupported strftime directive '%{(unpadded ? "-" : "")}{d}'"),
            });
        }
        return sb.ToString();
    }
}
