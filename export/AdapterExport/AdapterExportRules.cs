namespace Adapters.Export.AdapterExport;

/// <summary>Method name → export rule. A new method is one rule file and one line here.</summary>
public static class AdapterExportRules
{
    static readonly Dictionary<string, IAdapterExportRule> Rules = ((IAdapterExportRule[])
    [
        new LoraExportRule(),
        new LoReftExportRule(),
        new DiReftExportRule(),
        .. SvdLoraExportRule.CompressedMethods.Select(m => new SvdLoraExportRule(m)),
    ]).ToDictionary(r => r.Method, StringComparer.Ordinal);

    public static IReadOnlyCollection<string> Methods => Rules.Keys;

    public static IAdapterExportRule For(string method) =>
        Rules.TryGetValue(method, out var rule) ? rule
        : Core.Adapters.AdapterMethods.NotExportable.TryGetValue(method, out string? why)
            ? throw new ArgumentException($"a {method} adapter cannot be exported: {why}")
            : throw new ArgumentException($"no export rule for adapter method '{method}'; known: {string.Join(", ", Rules.Keys)}");
}
