namespace Adapters.Core.IO;

/// <summary>
/// A folder someone else controls, opened once and held open: every question about it (which files
/// it has, reading one, opening a subfolder) goes through the open handle (/proc/self/fd/N on Linux),
/// so swapping the folder's path for a link midway changes nothing. Its real path must lie inside
/// the <see cref="FileConfinement"/>, and so must every file read from it (a link inside it that
/// leaves the roots is refused). Names inside it are plain file names only (<see cref="IsPlainName"/>).
/// </summary>
public sealed class UntrustedFolder : IDisposable
{
    readonly OpenedEntry _entry;

    UntrustedFolder(string path, OpenedEntry entry, FileConfinement confinement)
    {
        Path = path;
        _entry = entry;
        Confinement = confinement;
    }

    /// <summary>The folder as it was named (for messages).</summary>
    public string Path { get; }

    /// <summary>Where the opened folder really is.</summary>
    public string RealPath => _entry.RealPath;

    public FileConfinement Confinement { get; }

    /// <summary>The folder's own name (the last component of its path as named).</summary>
    public string Name => System.IO.Path.GetFileName(Path);

    /// <exception cref="InvalidFileException">Missing, not a folder, or (<see cref="OutsideConfinementException"/>) outside the roots.</exception>
    public static UntrustedFolder Open(string path, FileConfinement confinement)
    {
        string full = System.IO.Path.TrimEndingDirectorySeparator(System.IO.Path.GetFullPath(path));
        return Open(full, full, confinement);
    }

    static UntrustedFolder Open(string accessPath, string displayPath, FileConfinement confinement)
    {
        OpenedEntry entry;
        try { entry = OpenedEntry.Open(accessPath, displayPath, confinement); }
        catch (InvalidFileException e) when (e is not OutsideConfinementException && e.Problem == "not found")
        { throw new InvalidFileException(displayPath, "folder not found"); }
        if (entry.Kind != OpenedEntry.EntryKind.Directory)
        {
            entry.Dispose();
            throw new InvalidFileException(displayPath, $"not a folder ({OpenedEntry.Describe(entry.Kind)})");
        }
        return new UntrustedFolder(displayPath, entry, confinement);
    }

    /// <summary>
    /// A plain file name: not empty, no directory separator, not "." or "..", no NUL, at most 255
    /// bytes — what a manifest may use to name a file beside it.
    /// </summary>
    public static bool IsPlainName(string? name) =>
        !string.IsNullOrEmpty(name) && name is not ("." or "..") && name.IndexOfAny(['/', '\\', '\0']) < 0
        && System.Text.Encoding.UTF8.GetByteCount(name) <= 255;

    /// <summary>The path of <paramref name="name"/> inside this folder as named (for messages).</summary>
    public string PathOf(string name) => System.IO.Path.Combine(Path, name);

    string Access(string name) => System.IO.Path.Combine(_entry.Access, RequirePlain(name));

    string RequirePlain(string name) => IsPlainName(name) ? name
        : throw new InvalidFileException(Path, $"'{name}' is not a plain file name inside the folder");

    /// <summary>True when <paramref name="name"/> exists here as a file or a link to one (regular or not: reading decides).</summary>
    public bool HasFile(string name) => File.Exists(Access(name));

    /// <summary>True when <paramref name="name"/> exists here as a folder or a link to one.</summary>
    public bool HasFolder(string name) => Directory.Exists(Access(name));

    /// <summary>Names of the files here ending with <paramref name="suffix"/>, in ordinal order.</summary>
    public IReadOnlyList<string> FileNames(string suffix) =>
        Directory.EnumerateFiles(_entry.Access).Select(System.IO.Path.GetFileName).OfType<string>()
            .Where(n => n.EndsWith(suffix, StringComparison.Ordinal)).Order(StringComparer.Ordinal).ToList();

    /// <summary>Reads the file <paramref name="name"/> here (see <see cref="UntrustedFile"/>).</summary>
    public FileBytes Read(string name, long maxBytes, string limitDescription, CancellationToken cancel = default) =>
        UntrustedFile.Read(Access(name), PathOf(name), maxBytes, limitDescription, Confinement, cancel);

    /// <summary>Reads the file <paramref name="name"/> here into a pooled buffer (see <see cref="UntrustedFile.ReadPooled(string, long, string, FileConfinement, CancellationToken)"/>).</summary>
    public PooledFileBytes ReadPooled(string name, long maxBytes, string limitDescription, CancellationToken cancel = default) =>
        UntrustedFile.ReadPooled(Access(name), PathOf(name), maxBytes, limitDescription, Confinement, cancel);

    /// <summary>Opens the subfolder <paramref name="name"/>, under the same confinement.</summary>
    public UntrustedFolder OpenFolder(string name) => Open(Access(name), PathOf(name), Confinement);

    public void Dispose() => _entry.Dispose();
}
