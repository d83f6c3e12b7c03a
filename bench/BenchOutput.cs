namespace Adapters.Bench;

/// <summary>Writes a report's files: bench.json, bench.md and the plots.</summary>
public static class BenchOutput
{
    public const string JsonFile = "bench.json";
    public const string MarkdownFile = "bench.md";

    /// <summary>Returns the paths written.</summary>
    public static IReadOnlyList<string> Write(BenchReport report, string folder)
    {
        Directory.CreateDirectory(folder);
        string json = Path.Combine(folder, JsonFile), markdown = Path.Combine(folder, MarkdownFile);
        Core.IO.AtomicFile.WriteAllText(json, report.ToJson());
        Core.IO.AtomicFile.WriteAllText(markdown, BenchTable.ToMarkdown(report));
        return [json, markdown, .. BenchPlots.Write(report, folder)];
    }
}
