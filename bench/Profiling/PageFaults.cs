namespace Adapters.Bench.Profiling;

/// <summary>The process's minor page faults so far (first touches of memory), from /proc/self/stat; null where there is none.</summary>
internal static class PageFaults
{
    public static long? Minor()
    {
        if (!OperatingSystem.IsLinux()) return null;
        // pid (comm) state ppid ... : minflt is the 10th field, the 8th after the command's closing parenthesis.
        string stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture);
    }
}
