namespace Adapters.Hardening.Fuzzing;

/// <summary>What one fuzz run of one target found: inputs tried, how many the reader accepted or refused, crashes and hangs (with the first few, replayable by seed and index).</summary>
public sealed record FuzzReport(string Target, long Inputs, long Accepted, long Refused, IReadOnlyList<string> Crashes, int Hangs, TimeSpan Elapsed)
{
    public override string ToString() =>
        $"{Target}: {Inputs:N0} inputs ({Accepted:N0} accepted, {Refused:N0} refused), {Crashes.Count} crashes, {Hangs} hangs, {Elapsed.TotalSeconds:F1} s";
}
