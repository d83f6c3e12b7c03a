using System.Security.Cryptography;
using System.Text.Json;
using Adapters.Core.Templates;
using Adapters.TestSupport;

namespace Adapters.Core.Tests.Templates;

/// <summary>
/// The real Llama 3 and Qwen3 chat templates (read from ../shared/models/tokenizers at run time) render
/// byte-identical to @huggingface/jinja's renderings in tests/reference/jinja/renderings.json (made by
/// render-chat-templates.mjs; check-with-python-jinja2.py confirms Python Jinja2 agrees with all of them).
/// </summary>
public class ChatTemplateReferenceTests
{
    static readonly string ReferenceFolder = Path.Combine(SharedModels.RepoRoot, "tests", "reference", "jinja");

    static readonly Lazy<JsonElement> Renderings = new(() => Load("renderings.json"));
    static readonly Lazy<Dictionary<string, JsonElement>> Conversations = new(() =>
        Load("conversations.json").GetProperty("conversations").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!));

    static JsonElement Load(string file) => JsonDocument.Parse(File.ReadAllText(Path.Combine(ReferenceFolder, file))).RootElement;

    static JsonElement Template(string name) =>
        Renderings.Value.GetProperty("templates").EnumerateArray().Single(t => t.GetProperty("name").GetString() == name);

    static string ConfigPath(string name) => Path.Combine(SharedModels.Root, "tokenizers", name, "tokenizer_config.json");

    public static TheoryData<string, string, bool> Cases()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var template in Renderings.Value.GetProperty("templates").EnumerateArray())
            foreach (var r in template.GetProperty("renderings").EnumerateArray())
                data.Add(template.GetProperty("name").GetString()!, r.GetProperty("conversation").GetString()!, r.GetProperty("add_generation_prompt").GetBoolean());
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Renders_byte_identical_to_huggingface_jinja(string templateName, string conversationName, bool addGenerationPrompt)
    {
        var reference = Template(templateName);
        var config = JsonDocument.Parse(File.ReadAllText(ConfigPath(templateName))).RootElement;
        var template = ChatTemplate.Parse(config.GetProperty("chat_template").GetString()!, ConfigPath(templateName));
        var conversation = Conversations.Value[conversationName];
        var messages = conversation.GetProperty("messages").EnumerateArray()
            .Select(m => new ChatMessage(m.GetProperty("role").GetString()!, m.GetProperty("content").GetString()!)).ToList();
        var extra = conversation.TryGetProperty("extra", out var e)
            ? e.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value)
            : null;

        string rendered = template.Render(messages, addGenerationPrompt, NullableString(reference, "bos_token"), NullableString(reference, "eos_token"), extra);

        string expected = reference.GetProperty("renderings").EnumerateArray()
            .Single(r => r.GetProperty("conversation").GetString() == conversationName && r.GetProperty("add_generation_prompt").GetBoolean() == addGenerationPrompt)
            .GetProperty("text").GetString()!;
        Assert.Equal(expected, rendered);
    }

    [Theory]
    [InlineData("llama3")]
    [InlineData("qwen3")]
    public void Reference_was_made_from_the_shared_tokenizer_config(string templateName)
    {
        string hash = Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(ConfigPath(templateName))));
        Assert.Equal(Template(templateName).GetProperty("tokenizer_config_sha256").GetString(), hash);
    }

    [Fact]
    public void Reference_covers_the_cases_the_issue_names()
    {
        // Thinking turns only change Qwen3's rendering; the table must exercise both templates' branches.
        var qwen = Template("qwen3").GetProperty("renderings").EnumerateArray().Select(r => r.GetProperty("text").GetString()!).ToList();
        Assert.Contains(qwen, t => t.EndsWith("<|im_start|>assistant\n<think>\n\n</think>\n\n"));
        Assert.Contains(qwen, t => t.Contains("<think>\n17 * 3 = 51.\n</think>\n\nIt is 51.<|im_end|>"));
        Assert.Contains(qwen, t => t.Contains("<|im_start|>user\n<tool_response>\n"));
        Assert.True(Template("llama3").GetProperty("renderings").GetArrayLength() >= 20);
    }

    static string? NullableString(JsonElement element, string property) =>
        element.GetProperty(property).ValueKind == JsonValueKind.Null ? null : element.GetProperty(property).GetString();
}
