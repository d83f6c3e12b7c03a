using System.Diagnostics;

namespace Adapters.Integration.Tests;

/// <summary>
/// The `adapters` command in a process of its own (the adapters.dll beside the tests), for what
/// <see cref="CliRunner"/> cannot show: the real host's log output, exit, or an environment of its own.
/// </summary>
public static class CliProcess
{
    /// <summary>Starts `adapters <paramref name="arguments"/>` with stdout and stderr redirected; the caller reads and waits.</summary>
    public static Process Start(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "adapters.dll"));
        foreach (string a in arguments) start.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;
        return Process.Start(start) ?? throw new IOException("cannot start adapters");
    }
}
