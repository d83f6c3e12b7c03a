using Adapters.Core.IO;
using Microsoft.AspNetCore.Http;

namespace Adapters.Host.Admin;

/// <summary>
/// Confines adapter paths sent over HTTP to the configured adapter roots, so an admin call can
/// never make the server read an arbitrary file: no ".." segment, and the path must lie inside a
/// root both as written and after every symbolic link on the way is resolved. This is the first
/// check, for clear answers (400/403/404); the files are confined again when they are opened
/// (a <see cref="FileConfinement"/> of the same roots, in <see cref="RegistryAdapterAdmin"/>), which closes
/// the race of a path swapped for a link after this check.
/// </summary>
public sealed class AdapterPathPolicy
{
    readonly string[] _roots;     // as configured, made absolute
    readonly string[] _realRoots; // with links resolved

    /// <exception cref="DirectoryNotFoundException">A root does not exist.</exception>
    public AdapterPathPolicy(IEnumerable<string> roots)
    {
        _roots = roots.Select(r => Path.TrimEndingDirectorySeparator(Path.GetFullPath(r))).ToArray();
        foreach (string root in _roots)
            if (!Directory.Exists(root)) throw new DirectoryNotFoundException($"adapter root not found: {root}");
        _realRoots = _roots.Select(RealPath.Of).ToArray();
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

        string real;
        try { real = RealPath.Of(full); }
        catch (IOException e) { throw new AdapterPathException(StatusCodes.Status400BadRequest, $"lora_path '{path}' cannot be resolved: {e.Message}"); }
        if (!_realRoots.Any(root => IsInside(real, root)))
            throw new AdapterPathException(StatusCodes.Status403Forbidden, $"lora_path '{path}' leads through a symbolic link to a place outside the adapter roots");
        if (!Directory.Exists(real) && !File.Exists(real))
            throw new AdapterPathException(StatusCodes.Status404NotFound, $"lora_path '{path}' does not exist");
        return real;
    }

    static bool IsInside(string path, string root) =>
        path == root || path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal);
}
