using Adapters.Core.IO;
using Adapters.Core.Templates;

namespace Adapters.Core.Tests.Templates;

/// <summary>
/// A template this renderer cannot run is refused when it is parsed, naming the construct and its line
/// (one <c>FILE: line N: problem</c> message, the CLI's <c>error:</c> line); failures while rendering
/// name the line of the statement too.
/// </summary>
public class TemplateErrorTests
{
    [Theory]
    [InlineData("a\n{% include 'other.jinja' %}", "line 2: unsupported statement 'include'")]
    [InlineData("{% extends 'base' %}", "line 1: unsupported statement 'extends'")]
    [InlineData("x\ny\n{% filter upper %}a{% endfilter %}", "line 3: unsupported statement 'filter'")]
    [InlineData("{% raw %}{{ x }}{% endraw %}", "line 1: unsupported statement 'raw'")]
    [InlineData("{% import 'm' as m %}", "line 1: unsupported statement 'import'")]
    [InlineData("\n\n{{ x | wordwrap(10) }}", "line 3: unsupported filter 'wordwrap'")]
    [InlineData("{% if x is escaped %}{% endif %}", "line 1: unsupported test 'escaped'")]
    [InlineData("{{ '{}'.format(1) }}", "line 1: unsupported method 'format'")]
    [InlineData("{{ xs.append(1) }}", "line 1: unsupported method 'append'")]
    [InlineData("{% for x in xs recursive %}{% endfor %}", "line 1: unsupported: recursive for loops")]
    [InlineData("{% set x | upper %}a{% endset %}", "line 1: unsupported: filters on a block set")]
    [InlineData("{{ f(*args) }}", "line 1: unsupported: *args/**kwargs in a call")]
    [InlineData("{{ lipsum(2) }}", "line 1: unsupported: 'lipsum'")]
    [InlineData("{{ xs[1, 2] }}", "line 1: unsupported: tuple subscripts")]
    public void Unsupported_constructs_are_refused_naming_them_and_their_line(string template, string problem)
    {
        var e = Assert.Throws<InvalidFileException>(() => ChatTemplate.Parse(template, "tokenizer_config.json"));
        Assert.Equal(problem, e.Problem);
        Assert.Equal($"tokenizer_config.json: {problem}", e.Message);
        Assert.Equal("tokenizer_config.json", e.Path);
    }

    [Theory]
    [InlineData("{% for m in messages %}\n{% if m %}\nx", "line 2: '{% if %}' is never closed with '{% endif %}'")]
    [InlineData("a\n{% endif %}", "line 2: unexpected '{% endif %}' with no open block it could close")]
    [InlineData("{{ x ", "line 1: tag '{{' is never closed with '}}'")]
    [InlineData("ok\n{# note", "line 2: comment '{#' is never closed with '#}'")]
    [InlineData("{% break %}", "line 1: '{% break %}' outside a for loop")]
    [InlineData("{{ 'abc' $ }}", "line 1: unexpected character '$' inside a tag")]
    [InlineData("{{ 'abc }}", "line 1: string literal is never closed")]
    [InlineData("{% if %}{% endif %}", "line 1: unexpected '%}' in an expression")]
    [InlineData("{% set = 1 %}", "line 1: expected a variable name, found '='")]
    [InlineData("{{ f(a=1, 2) }}", "line 1: a positional argument follows a keyword argument")]
    [InlineData("{{ 99999999999999999999 }}", "line 1: integer literal 99999999999999999999 is too large")]
    public void Syntax_errors_name_the_problem_and_line(string template, string problem)
    {
        var e = Assert.Throws<InvalidFileException>(() => ChatTemplate.Parse(template, "t.jinja"));
        Assert.Equal(problem, e.Problem);
    }

    [Fact]
    public void Raise_exception_refuses_the_conversation_with_the_templates_message_and_line()
    {
        const string template = "{% for m in messages %}\n{% if m.role == 'system' %}\n{{ raise_exception('System role not supported') }}\n{% endif %}\n{{ m.content }}\n{% endfor %}";
        var chat = ChatTemplate.Parse(template, "mistral/tokenizer_config.json");
        Assert.Equal("hi\n", chat.Render([new ChatMessage("user", "hi")], false, null, null));

        var e = Assert.Throws<TemplateRenderException>(() =>
            chat.Render([new ChatMessage("system", "s"), new ChatMessage("user", "hi")], false, null, null));
        Assert.True(e.RaisedByTemplate);
        Assert.Equal(3, e.Line);
        Assert.Equal("mistral/tokenizer_config.json: line 3: the template refused: System role not supported", e.Message);
    }

    [Theory]
    [InlineData("{{ x.y }}", 1, "'x' is undefined")]
    [InlineData("a\n\n{{ missing['k'] }}", 3, "'missing' is undefined")]
    [InlineData("{{ missing() }}", 1, "'missing' is undefined")]
    [InlineData("{{ missing + 1 }}", 1, "'missing' is undefined")]
    [InlineData("{{ 'a' ~ 1 + 2 }}", 1, "unsupported operand type(s) for +: 'str' and 'int'")]
    [InlineData("{{ 'a' + none }}", 1, "unsupported operand type(s) for +: 'str' and 'NoneType'")]
    [InlineData("{{ 1 / 0 }}", 1, "division by zero")]
    [InlineData("{{ 'n=%d' % 1 }}", 1, "unsupported: string % formatting")]
    [InlineData("{% set x = 1 %}\n{% set x.y = 2 %}", 2, "cannot assign attribute 'y' on 'x': it is not a namespace()")]
    [InlineData("{{ missing | tojson }}", 1, "Object of type Undefined is not JSON serializable")]
    [InlineData("{% for x in none %}{% endfor %}", 1, "'NoneType' object is not iterable")]
    [InlineData("{% for x in 5 %}{% endfor %}", 1, "'int' object is not iterable")]
    [InlineData("{{ {1: 2} }}", 1, "unsupported: dict keys of type int (only strings)")]
    [InlineData("{{ 1 < 'a' }}", 1, "'<' not supported between instances of 'int' and 'str'")]
    [InlineData("{{ missing in 'abc' }}", 1, "'in <string>' requires string as left operand, not Undefined")]
    [InlineData("{% set a, b = [1] %}", 1, "not enough values to unpack (expected 2, got 1)")]
    [InlineData("{{ 'x'.split('') }}", 1, "empty separator")]
    [InlineData("{{ [1] | map('nope') | list }}", 1, "unsupported filter 'nope'")]
    [InlineData("{{ [1] | select('nope') | list }}", 1, "unsupported test 'nope'")]
    [InlineData("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}", 1, "macro 'm' takes not more than 1 argument(s)")]
    [InlineData("{{ strftime_now('%Q') }}", 1, "unsupported strftime directive '%Q'")]
    [InlineData("{{ 'a' | trim(1) }}", 1, "filter 'trim' expects a string, got int")]
    [InlineData("{{ 'a' | replace('a') }}", 1, "filter 'replace' is missing the required argument 'new'")]
    [InlineData("{{ 'x'.startswith() }}", 1, "str.startswith() is missing the required argument 'prefix'")]
    [InlineData("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", 1, "macro 'f' nests deeper than 64 calls")]
    public void Render_errors_name_the_line_and_problem(string template, int line, string problem)
    {
        var chat = ChatTemplate.Parse(template, "t.jinja");
        var e = Assert.Throws<TemplateRenderException>(() => chat.Render([], false, null, null));
        Assert.False(e.RaisedByTemplate);
        Assert.Equal(line, e.Line);
        Assert.Equal(problem, e.Problem);
        Assert.Equal($"t.jinja: line {line}: {problem}", e.Message);
    }

    [Fact]
    public void A_value_of_a_type_templates_cannot_see_is_refused_naming_the_variable()
    {
        var chat = ChatTemplate.Parse("{{ x }}", "t.jinja");
        var e = Assert.Throws<ArgumentException>(() =>
            chat.Render([], false, null, null, new Dictionary<string, object?> { ["x"] = new Uri("http://example.com") }));
        Assert.Contains("'x'", e.Message);
        Assert.Contains("Uri", e.Message);
    }
}
