namespace Adapters.Core.IO;

/// <summary>A path with every symbolic link along it resolved, component by component (what realpath(3) does).</summary>
public static class RealPath
{
    /// <summary>Links followed before giving up, as Linux's MAXSYMLINKS (a loop would never end otherwise).</summary>
    const int MaxLinkHops = 40;

    /// <exception cref="IOException">More than <see cref="MaxLinkHops"/> links (a loop?).</exception>
    public static string Of(string path)
    {
        int hops = 0;
        return Resolve(Path.TrimEndingDirectorySeparator(Path.GetFullPath(path)), ref hops);
    }

    static string Resolve(string full, ref int hops)
    {
        string current = Path.GetPathRoot(full) ?? throw new IOException($"'{full}' has no root");
        foreach (string part in full[current.Length..].Split(Path.DirectorySeparatorChar, StringSplitOptions.RemoveEmptyEntries))
        {
            string next = Path.Combine(current, part);
            var info = new FileInfo(next);
            if (info.LinkTarget is not null)
            {
                if (++hops > MaxLinkHops) throw new IOException($"more than {MaxLinkHops} symbolic links (a loop?)");
                // The link's target may itself sit below other links: resolve it the same way.
                string target = Path.GetFullPath(info.LinkTarget, current);
                next = Resolve(Path.TrimEndingDirectorySeparator(target), ref hops);
            }
            current = next;
        }
        return current;
    }
}
