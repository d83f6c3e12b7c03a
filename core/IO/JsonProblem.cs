using System.Text.Json;
using System.Text.RegularExpressions;

namespace Adapters.Core.IO;

/// <summary>
/// What is wrong with a JSON file, said without quoting it: System.Text.Json's messages may hold a
/// byte of the input ("'r' is an invalid start of a value") and .NET type names, so refusals of
/// untrusted files say only where (line, byte, field path) and what kind of problem.
/// </summary>
public static partial class JsonProblem
{
    /// <summary>What System.Text.Json's InvalidOperationException on reading a string means for a file.</summary>
    public const string InvalidText = "a string is not valid text (invalid UTF-8 or an unpaired surrogate)";

    public static string Describe(JsonException e)
    {
        string where = e.LineNumber is { } line ? $" (line {line + 1}, byte {e.BytePositionInLine + 1})" : "";
        string? field = e.Path is { Length: > 2 } path && path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : null;
        if (MissingRequired().Match(e.Message) is { Success: true } missing)
            return $"missing field(s) {missing.Groups["names"].Value.TrimEnd('.')}";
        if (e.Message.Contains("could not be converted", StringComparison.Ordinal))
            return field is null ? $"a value has the wrong type{where}" : $"field '{field}' has the wrong type{where}";
        return $"not valid JSON{where}";
    }

    [GeneratedRegex("missing required properties including: (?<names>.*)$")]
    private static partial Regex MissingRequired();
}
