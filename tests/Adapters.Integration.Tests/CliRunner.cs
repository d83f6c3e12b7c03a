using Adapters.Cli;

namespace Adapters.Integration.Tests;

/// <summary>Runs the `adapters` command in-process, capturing exactly what a user sees.</summary>
public static class CliRunner
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr);

    /// <summary>CLI runs share process-wide state (torch threads); run them one at a time.</summary>
    static readonly Lock Gate = new();

    public static Result Run(params string[] args) => RunWithInput("", args);

    /// <summary>Runs with <paramref name="input"/> as what the user types (interactive commands).</summary>
    public static Result RunWithInput(string input, params string[] args)
    {
        lock (Gate)
        {
            var stdout = new StringWriter();
            var stderr = new StringWriter();
            int code = CliApp.Run(args, stdout, stderr, new StringReader(input));
            return new Result(code, stdout.ToString(), stderr.ToString());
        }
    }
}
