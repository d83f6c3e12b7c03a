using System.Text.Json;
using Adapters.TestSupport;

namespace Adapters.Integration.Tests;

/// <summary>
/// `adapters tokenize` against the references: ids equal Tokenizers.js's on its committed table for
/// the real Llama 3, Qwen3 and Mistral tokenizers (with and without special tokens), and --chat
/// prints the @huggingface/jinja rendering of the template with its ids.
/// </summary>
public sealed class TokenizeCommandTests : IDisposable
{
    readonly string _dir = SharedModels.NewTempFolder("tokenize-chat");

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static JsonElement Run(params string[] args)
    {
        var result = CliRunner.Run(["tokenize", .. args]);
        Assert.True(result.ExitCode == 0, result.Stderr);
        return JsonDocument.Parse(result.Stdout).RootElement;
    }

    static int[] Ids(JsonElement e) => e.EnumerateArray().Select(x => x.GetInt32()).ToArray();

    [Theory]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    [InlineData("mistral")]
    public void Text_ids_equal_Tokenizers_js(string name)
    {
        var reference = JsonDocument.Parse(File.ReadAllText(HfTokenizerFiles.Expected(name))).RootElement.GetProperty("cases");
        // A sample of the table keeps the test fast (each call is a CLI run); the core tests cover every row.
        foreach (var row in reference.EnumerateArray().Where((_, i) => i % 6 == 0))
        {
            string text = row.GetProperty("text").GetString()!;
            var withSpecial = Run("--tokenizer", HfTokenizerFiles.Folder(name), "--text", text);
            Assert.Equal(Ids(row.GetProperty("ids")), Ids(withSpecial.GetProperty("ids")));
            Assert.Equal(text, withSpecial.GetProperty("text").GetString());
            var plain = Run("--tokenizer", HfTokenizerFiles.TokenizerJson(name), "--text", text, "--no-special-tokens");
            Assert.Equal(Ids(row.GetProperty("ids_no_special")), Ids(plain.GetProperty("ids")));
        }
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    public void Chat_prints_the_reference_rendering_with_the_generation_prompt(string name)
    {
        var renderings = JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedModels.RepoRoot, "tests", "reference", "jinja", "renderings.json"))).RootElement;
        var conversations = JsonDocument.Parse(File.ReadAllText(Path.Combine(SharedModels.RepoRoot, "tests", "reference", "jinja", "conversations.json"))).RootElement.GetProperty("conversations");
        var template = renderings.GetProperty("templates").EnumerateArray().Single(t => t.GetProperty("name").GetString() == name);
        var expected = template.GetProperty("renderings").EnumerateArray()
            .First(r => r.GetProperty("conversation").GetString() == "system-single-turn" && r.GetProperty("add_generation_prompt").GetBoolean()
                && !r.TryGetProperty("extra", out _));
        string file = Path.Combine(_dir, $"messages-{name}.json");
        File.WriteAllText(file, conversations.EnumerateArray().Single(c => c.GetProperty("name").GetString() == "system-single-turn").GetProperty("messages").GetRawText());

        var output = Run("--tokenizer", HfTokenizerFiles.Folder(name), "--chat", file);
        string text = expected.GetProperty("text").GetString()!;
        Assert.Equal(text, output.GetProperty("text").GetString());
        var plain = Run("--tokenizer", HfTokenizerFiles.Folder(name), "--text", text, "--no-special-tokens");
        Assert.Equal(Ids(plain.GetProperty("ids")), Ids(output.GetProperty("ids")));
    }

    [Fact]
    public void Bad_input_is_one_error_line()
    {
        var neither = CliRunner.Run("tokenize", "--tokenizer", HfTokenizerFiles.Folder("qwen3"));
        Assert.Equal(1, neither.ExitCode);
        Assert.Equal("error: give exactly one of --text and --chat", neither.Stderr.Trim());
        var noTemplate = CliRunner.Run("tokenize", "--tokenizer", HfTokenizerFiles.Folder("mistral"), "--chat", "/nonexistent.json");
        Assert.Equal(1, noTemplate.ExitCode);
        Assert.StartsWith("error: ", noTemplate.Stderr);
        Assert.Contains("no chat_template", noTemplate.Stderr);
        Assert.Single(noTemplate.Stderr.Trim().Split('\n'));
        Assert.Equal("", noTemplate.Stdout);
    }
}
