namespace Adapters.Runtime.Serving;

/// <summary>A request named an adapter the registry does not hold.</summary>
public sealed class AdapterNotFoundException(string name, IEnumerable<string> known)
    : KeyNotFoundException($"no adapter named '{name}' is loaded (loaded: {(known.Any() ? string.Join(", ", known) : "none")})")
{
    public string Name { get; } = name;
}
