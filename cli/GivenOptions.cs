using System.CommandLine;

namespace Adapters.Cli;

/// <summary>
/// Whether the user wrote an option on the command line (not its default): what every check that
/// refuses an option a combination would ignore asks.
/// </summary>
public static class GivenOptions
{
    /// <summary>True when <paramref name="option"/> appears on the command line.</summary>
    public static bool IsGiven(this ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>The first of <paramref name="options"/> that appears on the command line, or null.</summary>
    public static Option? FirstGiven(this ParseResult parse, params Option[] options) => options.FirstOrDefault(parse.IsGiven);
}
