using Adapters.Core.IO;

namespace Adapters.Cli;

/// <summary>
/// Where a command writes: results on <see cref="Out"/> (e.g. generated text, nothing else),
/// progress and diagnostics on <see cref="Error"/>. Expected failures become one clear line and
/// exit code 1 instead of a stack trace.
/// </summary>
public sealed class CliConsole(TextWriter output, TextWriter error, TextReader? input = null)
{
    public const int Failure = 1;

    /// <summary>What the user types (interactive commands such as `chat`).</summary>
    public TextReader In { get; } = input ?? Console.In;

    public TextWriter Out { get; } = output;
    public TextWriter Error { get; } = error;

    public void Info(string message) => Error.WriteLine(message);

    /// <summary>Runs a command body, turning user-facing errors into a message and exit code.</summary>
    public int Guard(Func<int> body)
    {
        try { return body(); }
        catch (Exception e) when (IsUserError(e))
        {
            Error.WriteLine($"error: {OneLine(e.Message)}");
            return Failure;
        }
        catch (OutOfMemoryException)
        {
            Error.WriteLine("error: out of memory");
            return Failure;
        }
        catch (Exception e)
        {
            // A bug, not bad input: still one line (README's contract), saying so.
            Error.WriteLine($"error: internal error ({OneLine(e.Message)}); please report it with the command that caused it");
            return Failure;
        }
    }

    static string OneLine(string message) => message.ReplaceLineEndings(" ");

    static bool IsUserError(Exception e) =>
        e is InvalidFileException or ArgumentException or FileNotFoundException or DirectoryNotFoundException
            or InvalidDataException or IOException or InvalidOperationException or UnauthorizedAccessException;
}
