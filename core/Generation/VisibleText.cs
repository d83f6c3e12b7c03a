using System.Text;

namespace Adapters.Core.Generation;

/// <summary>
/// Generated text as it may be shown to a user or client: control characters other than white
/// space (NUL, the C0/C1 controls, DEL — what byte-fallback tokens such as &lt;0x00&gt; decode
/// to) are dropped. Tabs, newlines and the other white-space controls stay.
/// </summary>
public static class VisibleText
{
    public static string Of(string text)
    {
        if (!text.Any(IsHidden)) return text;
        var kept = new StringBuilder(text.Length);
        foreach (char c in text)
            if (!IsHidden(c)) kept.Append(c);
        return kept.ToString();
    }

    static bool IsHidden(char c) => char.IsControl(c) && !char.IsWhiteSpace(c);
}
