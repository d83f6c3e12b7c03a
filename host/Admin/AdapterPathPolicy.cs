using Microsoft.AspNetCore.Http;

namespace Adapters.Host.Admin;

/// <summary>
/// Confines adapter paths sent over HTTP to the configured adapter roots, so an admin call can
/// never make the server read an arbitrary file: no ".." segment, and the path must lie inside a
/// root both as written and after every symbolic link on the way is resolved.
/// </summary>
public sealed class AdapterPathPolicy
{
    /// <summary>Links followed before giving up, as Linux's MAXSYMLINKS (a loop would never end otherwise).</summary>
    const int MaxLinkHops = 40;

    readonly string[] _roots;     // as configured, made absolute
    readonly string[] _realRoots; // with links resolved

    /// <exception cref="DirectoryNotFoundException">A root does not exist.</exception>
    public AdapterPathPolicy(IEnumerable<string> roots)
    {
        _roots = roots.Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r))).ToArray();
        foreach (string root in _roots)
            if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"adapter root not found: {root}");
        int hops = 0;
        _realRoots = _roots.Select(r => ResolveReal(r, ref hops)).ToArray();
    }

    public IReadOnlyList<string> Roots => _roots;

    /// <summary>The real (link-free) full path of <paramref name="path"/>, which must exist inside a root. Relative paths are relative to the first root.</summary>
    /// <exception cref="AdapterPathException">Why the path is refused.</exception>
    public string Resolve(string? path)
    {
        if (string.IsNullOrWhiteSpace(path))
            throw new AdapterPathException(StatusCodes.Status400BadRequest, "lora_path is required");
        if (path.Contains('\0'))
            throw new AdapterPathException(StatusCodes.Status400BadRequest, "lora_path contains a NUL character");
        if (path.Split('/', '\\').Any(segment => segment == ".."))
            throw new AdapterPathException(StatusCodes.Status400BadRequest, "lora_path must not contain '..' segments");
        if (_roots.Length == 0)
            throw new AdapterPathException(StatusCodes.Status403Forbidden, "no adapter roots are configured on this server (start it with --adapters DIR)");

        string full = Path.TrimEndingDirectorySeparator(Path.GetFullPath(path, _roots[0]));
        if (!_roots.Any(root => IsInside(full, root)) && !_realRoots.Any(root => IsInside(full, root)))
            throw new AdapterPathException(StatusCodes.Status403Forbidden, $"lora_path '{path}' is outside the adapter roots ({string.Join(", ", _roots)})");

        int hops = 0;
        string real;
        try { real = ResolveReal(full, ref hops); }
        catch (IOException e) { throw new AdapterPathException(StatusCodes.Status400BadRequest, $"lora_path '{path}' cannot be resolved: {e.Message}"); }
        if (!_realRoots.Any(root => IsInside(real, root)))
            throw new AdapterPathException(StatusCodes.Status403Forbidden, $"lora_path '{path}' leads through a symbolic link to a place outside the adapter roots");
        if (!Directory.Exists(real) && !File.Exists(real))
            throw new AdapterPathException(StatusCodes.Status404NotFound, $"lora_path '{path}' does not exist");
        return real;
    }

    static bool IsInside(string path, string root) =>
        path == root || path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);

    /// <summary>Resolves every symbolic link along <paramref name="full"/>, component by component (what realpath(3) does).</summary>
    static string ResolveReal(string full, ref int hops)
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
                var target = info.ResolveLinkTarget(returnFinalTarget: true);
                string targetPath = target?.FullName ?? Path.GetFullPath(info.LinkTarget, current);
                next = ResolveReal(Path.TrimEndingDirectorySeparator(Path.GetFullPath(targetPath)), ref hops);
            }
            current = next;
        }
        return current;
    }
}
