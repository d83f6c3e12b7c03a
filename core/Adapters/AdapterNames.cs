namespace Adapters.Core.Adapters;

/// <summary>
/// The names an adapter may be registered and served under. Names travel into URLs, log lines,
/// metric labels and file names, so they are short and plain: 1 to <see cref="MaxLength"/> ASCII
/// letters, digits, '.', '_' and '-', not starting with '.' or '-' (so never ".", "..", a hidden
/// file or an option). Everything else — '/', spaces, control and bidirectional characters, markup,
/// non-ASCII letters — is refused, never rewritten.
/// </summary>
public static class AdapterNames
{
    public const int MaxLength = 64;

    /// <summary>The rule in one sentence, for refusals and help texts.</summary>
    public const string Rule = "1 to 64 ASCII letters, digits, '.', '_' and '-', not starting with '.' or '-'";

    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= MaxLength } && name[0] is not ('.' or '-') && name.All(IsAllowed);

    static bool IsAllowed(char c) => c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-';

    /// <exception cref="ArgumentException">The name breaks the rule; the message says the rule and never echoes the name.</exception>
    public static string Require(string? name, string what = "an adapter name") =>
        IsValid(name) ? name! : throw new ArgumentException($"{what} must be {Rule}");
}
