using System.Text.RegularExpressions;

namespace Adapters.Core.Adapters;

/// <summary>
/// Which prompt positions a ReFT intervention edits, written as pyreft does: "f7+l7" = the first
/// 7 and the last 7 prompt tokens; "f5" or "l3" alone are allowed. Generated tokens are never
/// edited (decode steps get a zero position mask).
/// </summary>
public sealed partial record PositionSpec(int First, int Last)
{
    [GeneratedRegex(@"^\s*(?:f(?<f>\d+))?\s*\+?\s*(?:l(?<l>\d+))?\s*$", RegexOptions.IgnoreCase)]
    private static partial Regex Pattern();

    public static PositionSpec Parse(string text)
    {
        var m = Pattern().Match(text ?? "");
        if (!m.Success || (!m.Groups["f"].Success && !m.Groups["l"].Success))
            throw new ArgumentException($"positions '{Shown(text)}' are not of the form f<N>+l<M> (e.g. f7+l7, f5, l3)");
        int first = m.Groups["f"].Success ? Count(m.Groups["f"].Value, text!) : 0;
        int last = m.Groups["l"].Success ? Count(m.Groups["l"].Value, text!) : 0;
        if ((long)first + last == 0) throw new ArgumentException($"positions '{text}' select no token");
        return new PositionSpec(first, last);
    }

    /// <summary>A token count: ASCII digits, at most <see cref="MaxCount"/> (no prompt is longer).</summary>
    static int Count(string digits, string text) =>
        int.TryParse(digits, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int n) && n <= MaxCount
            ? n : throw new ArgumentException($"positions '{Shown(text)}' count more than {MaxCount} tokens or are not plain digits");

    static string Shown(string? text) => text is { Length: > 40 } ? text[..40] + "..." : text ?? "";

    /// <summary>Far beyond any context length, small enough that sums never overflow.</summary>
    public const int MaxCount = 1 << 24;

    public override string ToString() => (First, Last) switch
    {
        (> 0, > 0) => $"f{First}+l{Last}",
        (> 0, _) => $"f{First}",
        _ => $"l{Last}",
    };

    /// <summary>
    /// For a prompt of <paramref name="promptLength"/> tokens, which intervention applies at each
    /// position: 0 none, 1 prefix (first-k), 2 suffix (last-k). A position in both ranges counts
    /// as prefix, so each position is edited at most once. With tied weights callers treat 1 and
    /// 2 alike.
    /// </summary>
    public byte[] Assign(int promptLength)
    {
        var result = new byte[promptLength];
        for (int p = Math.Max(0, promptLength - Last); p < promptLength; p++) result[p] = Suffix;
        for (int p = 0; p < Math.Min(First, promptLength); p++) result[p] = Prefix;
        return result;
    }

    public const byte None = 0, Prefix = 1, Suffix = 2;
}
