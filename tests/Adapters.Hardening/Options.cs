namespace Adapters.Hardening;

/// <summary>"--name value" pairs of a command line, each with a default.</summary>
sealed class Options(string[] args)
{
    public string? Get(string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    public int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v) : fallback;
}
