namespace Adapters.TestSupport;

/// <summary>Paths of the read-only reference files in ../shared/models (beside the repository).</summary>
public static class SharedModels
{
    public static string RepoRoot { get; } = FindRepoRoot();
    public static string Root => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared", "models"));
    public static string Stories260K => Path.Combine(Root, "stories260K", "stories260K.bin");
    public static string Tok512 => Path.Combine(Root, "stories260K", "tok512.bin");
    public static string Llama2TokenizerModel => Path.Combine(Root, "llama2-tokenizer", "tokenizer.model");
    public static string Llama2TokenizerBin => Path.Combine(Root, "llama2-tokenizer", "tokenizer.bin");

    /// <summary>llama2.c's public expectation for stories260K: greedy from BOS with no prompt.</summary>
    public const string Stories260KGreedyOpening =
        "Once upon a time, there was a little girl named Lily. She loved to play outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too high.";

    static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir != null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Adapters.sln"))) return dir.FullName;
        throw new InvalidOperationException($"Adapters.sln not found above {AppContext.BaseDirectory}");
    }

    /// <summary>A fresh empty folder under the system temp directory, removed by the caller.</summary>
    public static string NewTempFolder(string prefix = "adapters-test")
    {
        string dir = Path.Combine(Path.GetTempPath(), $"{prefix}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }
}
