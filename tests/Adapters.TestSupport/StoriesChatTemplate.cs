using System.Text.Json.Nodes;

namespace Adapters.TestSupport;

/// <summary>
/// The chat template of tests/data/chat/stories260K (stories260K's tokenizer comes without one),
/// added to an exported folder's tokenizer_config.json the way a user adds one to theirs.
/// </summary>
public static class StoriesChatTemplate
{
    public const string ConfigFile = "tokenizer_config.json";

    public static string SourceFolder => Path.Combine(SharedModels.RepoRoot, "tests", "data", "chat", "stories260K");

    public static string Template =>
        (string)JsonNode.Parse(File.ReadAllText(Path.Combine(SourceFolder, ConfigFile)))!["chat_template"]!;

    /// <summary>Sets chat_template in <paramref name="folder"/>'s tokenizer_config.json (creating the file with stories260K's bos/eos when missing).</summary>
    public static void AddTo(string folder)
    {
        string path = Path.Combine(folder, ConfigFile);
        var config = File.Exists(path) ? JsonNode.Parse(File.ReadAllText(path))!.AsObject() : new JsonObject { ["bos_token"] = "<s>", ["eos_token"] = "</s>" };
        config["chat_template"] = Template;
        File.WriteAllText(path, config.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }));
    }
}
