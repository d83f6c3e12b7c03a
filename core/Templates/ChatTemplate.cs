using System.Text;

namespace Adapters.Core.Templates;

/// <summary>
/// A chat template (the Jinja <c>chat_template</c> of a <c>tokenizer_config.json</c>), parsed once and
/// rendered per conversation the way Hugging Face's <c>apply_chat_template</c> does: trim_blocks and
/// lstrip_blocks on, <c>messages</c>, <c>add_generation_prompt</c>, <c>bos_token</c>/<c>eos_token</c>
/// (left undefined when the tokenizer has none), <c>tools</c> and <c>documents</c> as none, plus the
/// caller's extra variables (e.g. <c>enable_thinking</c>), which override those.
/// </summary>
public sealed class ChatTemplate
{
    readonly List<TemplateNode> nodes;
    readonly TimeProvider clock;

    ChatTemplate(string origin, List<TemplateNode> nodes, TimeProvider clock)
    {
        Origin = origin;
        this.nodes = nodes;
        this.clock = clock;
    }

    /// <summary>Where the template came from (a file path), the first part of every error message.</summary>
    public string Origin { get; }

    /// <summary>
    /// Parses a template. A syntax error or a construct this renderer does not implement is an
    /// <see cref="Adapters.Core.IO.InvalidFileException"/> whose problem is <c>line N: ...</c>, naming it.
    /// </summary>
    /// <param name="clock">The time <c>strftime_now</c> reads (local time, as Python's datetime.now); the system clock by default.</param>
    public static ChatTemplate Parse(string source, string origin, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new ChatTemplate(origin, TemplateParser.Parse(source, origin), clock ?? TimeProvider.System);
    }

    /// <summary>Renders a conversation; throws <see cref="TemplateRenderException"/> when the template refuses it or fails.</summary>
    public string Render(IReadOnlyList<ChatMessage> messages, bool addGenerationPrompt, string? bosToken, string? eosToken,
        IReadOnlyDictionary<string, object?>? extra = null)
    {
        var variables = new Dictionary<string, object?>
        {
            ["messages"] = messages,
            ["add_generation_prompt"] = addGenerationPrompt,
            ["tools"] = null,
            ["documents"] = null,
        };
        if (bosToken != null) variables["bos_token"] = bosToken;
        if (eosToken != null) variables["eos_token"] = eosToken;
        if (extra != null)
            foreach (var (name, value) in extra) variables[name] = value;
        return RenderVariables(variables);
    }

    /// <summary>Renders with exactly these top-level variables (values as in <see cref="Render"/>'s extras).</summary>
    public string RenderVariables(IReadOnlyDictionary<string, object?> variables)
    {
        var globals = new TemplateScope(null);
        TemplateGlobals.AddTo(globals, clock);
        var scope = new TemplateScope(globals);
        foreach (var (name, value) in variables) scope.Set(name, TemplateValueConverter.FromClr(value, name));
        var output = new StringBuilder();
        new TemplateRenderer(Origin).Execute(nodes, scope, output);
        return output.ToString();
    }
}
