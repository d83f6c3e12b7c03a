using System.Text.RegularExpressions;

namespace Adapters.Cli;

/// <summary>System.CommandLine's parse messages in words a user reads: .NET type names become what they mean.</summary>
public static partial class CliParseErrors
{
    static readonly Dictionary<string, string> TypeWords = new(StringComparer.Ordinal)
    {
        ["System.Single"] = "a number", ["System.Double"] = "a number", ["System.Int32"] = "a whole number",
        ["System.Int64"] = "a whole number", ["System.Boolean"] = "true or false", ["System.String"] = "text",
    };

    [GeneratedRegex(@"as expected type '(?<type>[^']+)'")]
    private static partial Regex ExpectedType();

    /// <summary>One line: a message with a list below it ("Did you mean one of the following?") gets the list inline.</summary>
    public static string Plain(string message)
    {
        var lines = message.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        string line = lines.Length <= 1 ? message.Trim() : lines[0] + " " + string.Join(", ", lines[1..]);
        return WithPlainTypes(line);
    }

    static string WithPlainTypes(string message) => ExpectedType().Replace(message, m =>
    {
        string type = m.Groups["type"].Value;
        string bare = type.StartsWith("System.Nullable`1[", StringComparison.Ordinal) ? type["System.Nullable`1[".Length..].TrimEnd(']') : type;
        return TypeWords.TryGetValue(bare, out string? words) ? $"as {words}"
            : $"as one of the values of {bare[(bare.LastIndexOf('.') + 1)..]}";
    });
}
