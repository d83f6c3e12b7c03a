namespace Adapters.Runtime.Backends;

/// <summary>
/// Applies stop strings to streamed text: text is released only once it cannot be the start of a
/// stop string, and at a match the text is cut before it (OpenAI does not return the stop string).
/// </summary>
public sealed class StopMatcher(IReadOnlyList<string> stops)
{
    string _pending = "";

    public bool Stopped { get; private set; }

    /// <summary>Adds a piece; returns the text now safe to emit.</summary>
    public string Push(string piece)
    {
        if (Stopped) return "";
        _pending += piece;
        if (stops.Count == 0) return Release(_pending.Length);

        int cut = -1;
        foreach (string stop in stops)
        {
            int at = _pending.IndexOf(stop, StringComparison.Ordinal);
            if (at >= 0 && (cut < 0 || at < cut)) cut = at;
        }
        if (cut >= 0)
        {
            Stopped = true;
            string before = _pending[..cut];
            _pending = "";
            return before;
        }
        return Release(_pending.Length - LongestStopPrefixSuffix());
    }

    /// <summary>The rest, at the end of generation (no stop string can complete any more).</summary>
    public string Flush() => Stopped ? "" : Release(_pending.Length);

    /// <summary>Length of the longest end of the pending text that begins some stop string.</summary>
    int LongestStopPrefixSuffix()
    {
        int longest = 0;
        foreach (string stop in stops)
            for (int length = Math.Min(stop.Length - 1, _pending.Length); length > longest; length--)
                if (_pending.AsSpan(_pending.Length - length).SequenceEqual(stop.AsSpan(0, length)))
                {
                    longest = length;
                    break;
                }
        return longest;
    }

    string Release(int count)
    {
        string released = _pending[..count];
        _pending = _pending[count..];
        return released;
    }
}
