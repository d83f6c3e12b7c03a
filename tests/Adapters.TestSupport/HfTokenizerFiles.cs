namespace Adapters.TestSupport;

/// <summary>
/// The real Hugging Face tokenizers in ../shared/models/tokenizers and the Tokenizers.js reference
/// ids recorded for them by tests/reference/tokenizers/generate.mjs.
/// </summary>
public static class HfTokenizerFiles
{
    public static readonly IReadOnlyList<string> Names = ["llama3", "qwen3", "mistral"];

    /// <summary>The folder holding tokenizer.json and tokenizer_config.json.</summary>
    public static string Folder(string name) => Path.Combine(SharedModels.Root, "tokenizers", name);

    public static string TokenizerJson(string name) => Path.Combine(Folder(name), "tokenizer.json");

    /// <summary>Committed reference output of Tokenizers.js for <paramref name="name"/>.</summary>
    public static string Expected(string name) => Path.Combine(SharedModels.RepoRoot, "tests", "reference", "tokenizers", "expected", $"{name}.json");
}
