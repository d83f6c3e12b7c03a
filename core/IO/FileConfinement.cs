namespace Adapters.Core.IO;

/// <summary>
/// The folders an untrusted read may reach (<see cref="UntrustedFile"/>, <see cref="UntrustedFolder"/>):
/// a file is accepted only when the real path of the file actually opened — every symbolic link
/// resolved, read back from the open handle — lies inside one of them. <see cref="Anywhere"/> is
/// for a user's own command line (the CLI): no roots, the other checks (regular file, size limit) still apply.
/// </summary>
public sealed class FileConfinement
{
    /// <summary>No confinement: the caller named the files itself.</summary>
    public static FileConfinement Anywhere { get; } = new();

    readonly string[] _roots;

    FileConfinement() => _roots = [];

    /// <summary>Confines reads to <paramref name="roots"/>, resolved to their real paths now.</summary>
    /// <exception cref="DirectoryNotFoundException">A root does not exist.</exception>
    public FileConfinement(IEnumerable<string> roots)
    {
        var real = new List<string>();
        foreach (string root in roots)
        {
            string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(root));
            if (!Directory.Exists(full)) throw new DirectoryNotFoundException($"adapter root not found: {full}");
            real.Add(RealPath.Of(full));
        }
        if (real.Count == 0) throw new ArgumentException("a confinement needs at least one root (use FileConfinement.Anywhere for none)");
        _roots = [.. real.Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The roots' real paths; empty for <see cref="Anywhere"/>.</summary>
    public IReadOnlyList<string> Roots => _roots;

    public bool IsConfined => _roots.Length > 0;

    /// <summary>True when <paramref name="realPath"/> (already free of links) is a root or lies below one.</summary>
    public bool Contains(string realPath) =>
        !IsConfined || _roots.Any(root => realPath == root || realPath.StartsWith(
            Path.EndsInDirectorySeparator(root) ? root : root + Path.DirectorySeparatorChar, StringComparison.Ordinal));

    public override string ToString() => IsConfined ? string.Join(", ", _roots) : "(anywhere)";
}
