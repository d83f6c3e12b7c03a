namespace Adapters.Core.Tests.Templates;

/// <summary>
/// Each feature of the Jinja subset on a small template with a hand-written expected output (what
/// Python's Jinja2 renders with Hugging Face's settings: trim_blocks and lstrip_blocks on).
/// </summary>
public class TemplateLanguageTests
{
    [Theory]
    [InlineData("{{ 42 }}|{{ -3 }}|{{ 2.50 }}|{{ 1e3 }}|{{ 1_000 }}", "{}", "42|-3|2.5|1000.0|1000")]
    [InlineData("{{ true }}|{{ True }}|{{ none }}|{{ None }}|{{ false }}|{{ False }}", "{}", "True|True|None|None|False|False")]
    [InlineData("{{ [1, 'a', none, true, 1.5] }}", "{}", "[1, 'a', None, True, 1.5]")]
    [InlineData("{{ {'k': 'v', 'n': [1]} }}", "{}", "{'k': 'v', 'n': [1]}")]
    [InlineData("{{ (1,) }}{{ (1, 2) }}{{ () }}", "{}", "(1,)(1, 2)()")]
    [InlineData("{{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e-5 }} {{ 123456789.125 }} {{ 1.5e300 * 1e10 }}", "{}", "0.30000000000000004 1e+16 1e-05 123456789.125 inf")]
    [InlineData("{{ 'a' 'b' \"c\" }}", "{}", "abc")]
    [InlineData("{{ 'tab\\there' }}|{{ 'nl\\nx' }}|{{ '\\u00e9\\x41' }}|{{ 'back\\\\slash' }}|{{ 'keep\\d' }}", "{}", "tab\there|nl\nx|éA|back\\slash|keep\\d")]
    [InlineData("{{ \"it's\" }} {{ ['it\\'s'] }}", "{}", "it's [\"it's\"]")]
    public void Literals_render_as_python_prints_them(string template, string variables, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template, variables));

    [Theory]
    [InlineData("{{ 7 // 2 }} {{ -7 // 2 }} {{ -7 % 3 }} {{ 7 / 2 }} {{ 4 / 2 }} {{ 2 ** 10 }} {{ 'ab' * 2 }}", "{}", "3 -4 2 3.5 2.0 1024 abab")]
    [InlineData("{{ 1 + 2 * 3 }} {{ (1 + 2) * 3 }} {{ 10 - 2 - 3 }} {{ 2 ** 3 ** 2 }} {{ 7.5 // 2 }} {{ 1 + 1.5 }} {{ true + 1 }}", "{}", "7 9 5 64 3.0 2.5 2")]
    [InlineData("{{ 1 ~ 2 ~ none }}|{{ 'x' ~ missing ~ 'y' }}|{{ [1] + [2] }}|{{ -x }}", "{'x': 3}", "12None|xy|[1, 2]|-3")]
    public void Arithmetic_follows_python(string template, string variables, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template, variables));

    [Theory]
    [InlineData("{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ [1, 2] == [1, 2] }} {{ 'b' >= 'a' }} {{ 2 <= 1 }}", "{}", "True False True True True True False")]
    [InlineData("{{ 'ell' in 'hello' }} {{ 2 in [1, 2] }} {{ 'k' in {'k': 1} }} {{ 3 not in [1] }} {{ 'z' in missing }}", "{}", "True True True True False")]
    [InlineData("[{{ 0 or 'x' }}][{{ 'a' and 'b' }}][{{ '' and 'b' }}][{{ not 0 }}][{{ not 'a' or 'c' }}]", "{}", "[x][b][][True][c]")]
    [InlineData("{{ 'y' if true else 'n' }}{{ 'y' if false else 'n' }}[{{ 'y' if false }}]{{ 'a' if false else 'b' if true else 'c' }}", "{}", "yn[]b")]
    [InlineData("{{ not x is defined }} {{ not x }} {{ x is not defined and true }}", "{}", "True True True")]
    public void Comparisons_and_logic(string template, string variables, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template, variables));

    [Theory]
    [InlineData("{{ xs[0] }} {{ xs[-1] }} {{ xs[1:] }} {{ xs[:2] }} {{ xs[::-1] }} {{ xs[::2] }} {{ xs[-2:] }} {{ xs[1:-1] }} {{ xs[3:1:-1] }}", "{'xs': [1, 2, 3, 4]}",
        "1 4 [2, 3, 4] [1, 2] [4, 3, 2, 1] [1, 3] [3, 4] [2, 3] [4, 3]")]
    [InlineData("{{ 'hello'[1:3] }} {{ 'hello'[::-1] }} {{ 'héllo😀'[-1] }} {{ 'héllo😀'[1] }} {{ 'abc'[5:] }}|", "{}", "el olleh 😀 é |")]
    [InlineData("{{ d.a }} {{ d['a'] }} {{ d.b.c }} {{ d['b']['c'] }} {{ d.b['c'] }} {{ xs.0 }}", "{'d': {'a': 1, 'b': {'c': 'x'}}, 'xs': [7]}", "1 1 x x x 7")]
    [InlineData("[{{ xs[10] }}][{{ d.missing }}][{{ d['missing'] }}][{{ none.attr is defined }}]", "{'d': {}, 'xs': [1]}", "[][][][False]")]
    [InlineData("{{ (messages | last).content }} {{ messages[-1]['role'] }}", "{'messages': [{'role': 'user', 'content': 'a'}, {'role': 'assistant', 'content': 'b'}]}", "b assistant")]
    public void Subscripts_attributes_and_slices(string template, string variables, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template, variables));

    [Theory]
    [InlineData("{{ x is defined }} {{ y is defined }} {{ y is undefined }} {{ n is none }} {{ n is not none }} {{ s is string }} {{ x is string }}", "{'x': 1, 'n': null, 's': 't'}",
        "True False True True False True False")]
    [InlineData("{{ x is number }} {{ x is integer }} {{ f is float }} {{ f is integer }} {{ d is mapping }} {{ xs is iterable }} {{ s is sequence }} {{ xs is mapping }}", "{'x': 1, 'f': 1.5, 'd': {}, 'xs': [], 's': 't'}",
        "True True True False True True True False")]
    [InlineData("{{ true is boolean }} {{ b is false }} {{ b is true }} {{ 4 is even }} {{ 3 is odd }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }} {{ 2 is eq 2 }} {{ 'a' is in ['a'] }} {{ 1 is boolean }}", "{'b': false}",
        "True True False True True True False True True False")]
    [InlineData("{{ 'abc' is lower }} {{ 'aBc' is upper }} {{ 3 is gt 2 }} {{ 3 is lt 2 }} {{ 2 is ne 2 }} {{ none is sameas none }} {{ range is callable }}", "{}",
        "True False True False False True True")]
    public void Tests(string template, string variables, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template, variables));

    [Theory]
    [InlineData("[{{ '  x  ' | trim }}][{{ 'xxhixx' | trim('x') }}][{{ '\\n\\t x \\n' | trim }}]", "{}", "[x][hi][x]")]
    [InlineData("{{ xs | length }} {{ 'héllo' | length }} {{ d | length }} {{ xs | count }}", "{'xs': [1, 2, 3], 'd': {'a': 1}}", "3 5 1 3")]
    [InlineData("{{ xs | first }} {{ xs | last }} {{ xs | join(', ') }} {{ xs | join }} {{ xs | reverse | list }} {{ xs | sum }} {{ xs | max }} {{ xs | min }}", "{'xs': [1, 2, 3]}",
        "1 3 1, 2, 3 123 [3, 2, 1] 6 3 1")]
    [InlineData("{{ 'Hello World' | upper }} {{ 'Hello' | lower }} {{ 'hello wORLD' | title }} {{ 'hello World' | capitalize }} {{ 'aXbX' | replace('X', '-') }} {{ 'aXbX' | replace('X', '-', 1) }} {{ 'abc' | reverse }}", "{}",
        "HELLO WORLD hello Hello World Hello world a-b- a-bX cba")]
    [InlineData("[{{ missing | default('d') }}][{{ '' | default('d') }}][{{ '' | default('d', true) }}][{{ none | d('z', boolean=true) }}][{{ 0 | default(5) }}]", "{}", "[d][][d][z][0]")]
    [InlineData("{{ {'b': 1, 'a': 2} | items | list }} {{ {'b': 1, 'a': 2} | dictsort }}", "{}", "[('b', 1), ('a', 2)] [('a', 2), ('b', 1)]")]
    [InlineData("{{ 42 | string ~ 'x' }} {{ '12' | int + 1 }} {{ 'x' | int }} {{ '3.7' | int }} {{ 3.9 | int }} {{ '2.5' | float }} {{ 'ab' | list }} {{ 'x' | int(7) }}", "{}",
        "42x 13 0 3 3 2.5 ['a', 'b'] 7")]
    [InlineData("{{ -2.5 | abs }} {{ 2.5 | round }} {{ 3.5 | round }} {{ 2.567 | round(2) }} {{ 2.1 | round(0, 'ceil') }} {{ '<a href=\"x\">' | e }} {{ 'x' | safe }}", "{}",
        "2.5 2.0 4.0 2.57 3.0 &lt;a href=&#34;x&#34;&gt; x")]
    [InlineData("{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | indent('> ', blank=true) }}", "{}", "a\n  b\n\n  c|  a\n  b|a\n> \n> b")]
    [InlineData("{{ [3, 1, 2] | sort }} {{ [3, 1, 2] | sort(reverse=true) }} {{ ['b', 'A', 'c'] | sort }} {{ [1, 2, 3, 4] | select('even') | list }} {{ [1, 2, 3] | reject('odd') | list }} {{ [0, 1, '', 'a'] | select | list }}", "{}",
        "[1, 2, 3] [3, 2, 1] ['A', 'b', 'c'] [2, 4] [2] [1, 'a']")]
    [InlineData("{{ ['a', 'b'] | map('upper') | join }} {{ [1, 2, 1, 3] | unique | list }} {{ 'one two  three' | wordcount }} {{ ['x'] | map('replace', 'x', 'y') | list }}", "{}", "AB [1, 2, 3] 3 ['y']")]
    public void Filters(string template, string variables, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template, variables));

    const string Messages = "{'ms': [{'role': 'system', 'content': 's'}, {'role': 'user', 'content': 'u'}, {'role': 'user', 'content': 'v', 'extra': {'n': 1}}]}";

    [Theory]
    [InlineData("{{ ms | selectattr('role', 'equalto', 'user') | map(attribute='content') | join(',') }}", "u,v")]
    [InlineData("{{ ms | rejectattr('role', 'eq', 'user') | list | length }}", "1")]
    [InlineData("{{ ms | map(attribute='role') | unique | list }}", "['system', 'user']")]
    [InlineData("{{ ms | selectattr('extra') | map(attribute='extra.n') | list }} {{ ms | selectattr('missing') | list }}", "[1] []")]
    [InlineData("{{ ms | map(attribute='extra', default='-') | list }}", "['-', '-', {'n': 1}]")]
    [InlineData("{{ ms | selectattr('role', 'in', ['system', 'x']) | map(attribute='content') | first }}", "s")]
    [InlineData("{{ (ms | first).role }} {{ ms | sort(attribute='content', reverse=true) | map(attribute='content') | join }}", "system vus")]
    public void Filters_over_messages(string template, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template, Messages));

    [Theory]
    [InlineData("{{ {'a': [1, 2.5, none, true], 'b': 'é\"\\n'} | tojson }}", "{}", "{\"a\": [1, 2.5, null, true], \"b\": \"é\\\"\\n\"}")]
    [InlineData("{{ d | tojson(indent=2) }}", "{'d': {'a': [1], 'b': {}, 'c': []}}", "{\n  \"a\": [\n    1\n  ],\n  \"b\": {},\n  \"c\": []\n}")]
    [InlineData("{{ d | tojson(sort_keys=true) }} {{ d | tojson(separators=[',', ':']) }}", "{'d': {'b': 1, 'a': 2}}", "{\"a\": 2, \"b\": 1} {\"b\":1,\"a\":2}")]
    [InlineData("{{ 'x' | tojson }} {{ none | tojson }} {{ (1, 'a') | tojson }} {{ '😀\\u0001<' | tojson }} {{ 'é' | tojson(ensure_ascii=true) }}", "{}", "\"x\" null [1, \"a\"] \"😀\\u0001<\" \"\\u00e9\"")]
    public void Tojson_is_python_json_dumps_without_ascii_escaping(string template, string variables, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template, variables));

    [Theory]
    [InlineData("{{ 'Hello'.startswith('He') }} {{ 'Hello'.endswith(('x', 'lo')) }} {{ 'a,b,,c'.split(',') }} {{ '  a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a b c'.rsplit(' ', 1) }}", "{}",
        "True True ['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c'] ['a b', 'c']")]
    [InlineData("[{{ '  x \\n'.strip() }}][{{ '\\nx\\n'.lstrip('\\n') }}][{{ 'x\\n\\n'.rstrip() }}][{{ 'xyx'.strip('x') }}]", "{}", "[x][x\n][x][y]")]
    [InlineData("{{ 'Ab'.lower() }} {{ 'Ab'.upper() }} {{ 'hello wORLD 1st'.title() }} {{ 'aXa'.replace('a', 'b') }} {{ 'abc'.find('c') }} {{ 'aaa'.count('a') }} {{ '-'.join(['a', 'b']) }} {{ 'hELLO'.capitalize() }}", "{}",
        "ab AB Hello World 1St bXb 2 3 a-b Hello")]
    [InlineData("{{ '123'.isdigit() }} {{ 'a1'.isalpha() }} {{ ' '.isspace() }} {{ 'a\\nb'.splitlines() }}", "{}", "True False True ['a', 'b']")]
    [InlineData("{{ c.split('</think>')[-1].lstrip('\\n') }}|{{ c.split('</think>')[0].rstrip('\\n').split('<think>')[-1].lstrip('\\n') }}", "{'c': '<think>\\nplan\\n</think>\\n\\nanswer'}", "answer|plan")]
    public void String_methods(string template, string variables, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template, variables));

    [Theory]
    [InlineData("{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}", "a=1;b=x;")]
    [InlineData("{{ d.get('a') }} {{ d.get('z') }} {{ d.get('z', 5) }} {{ d.keys() | list }} {{ d.values() | list }} {{ d['get'] is defined }}", "1 None 5 ['a', 'b'] [1, 'x'] True")]
    public void Dict_methods(string template, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template, "{'d': {'a': 1, 'b': 'x'}}"));

    [Theory]
    [InlineData("{% for x in xs %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}", "{'xs': ['a', 'b']}",
        "1021TrueFalse2|2110FalseTrue2|")]
    [InlineData("{% for x in xs %}{{ loop.previtem }}-{{ loop.nextitem }};{% endfor %}", "{'xs': [1, 2, 3]}", "-2;1-3;2-;")]
    [InlineData("{% for x in [] %}a{% else %}empty{% endfor %}{% for x in [1] %}a{% else %}empty{% endfor %}", "{}", "emptya")]
    [InlineData("{% for x in xs if x > 1 %}{{ x }}{{ loop.index }}{{ loop.length }}{% endfor %}", "{'xs': [1, 2, 3]}", "212322")]
    [InlineData("{% for x in xs %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% break %}{% endif %}{{ x }}{% endfor %}", "{'xs': [1, 2, 3, 4, 5]}", "13")]
    [InlineData("{% for a, b in [[1, 2], [3, 4]] %}{{ a + b }}{% endfor %}{% for (a, b) in [(5, 6)] %}{{ a * b }}{% endfor %}", "{}", "3730")]
    [InlineData("{% for c in 'ab' %}{{ c }}.{% endfor %}{% for k in {'x': 1, 'y': 2} %}{{ k }}{% endfor %}[{% for x in missing %}a{% endfor %}]", "{}", "a.b.xy[]")]
    [InlineData("{% for x in range(3) %}{{ x }}{% endfor %}{{ range(1, 7, 2) | list }}{{ range(3, 0, -1) | list }}", "{}", "012[1, 3, 5][3, 2, 1]")]
    [InlineData("{% for x in xs %}{{ loop.cycle('o', 'e') }}{% endfor %}", "{'xs': [1, 2, 3]}", "oeo")]
    [InlineData("{% for x in [1, 2] %}{% for y in 'ab' %}{{ loop.index }}{{ y }}{% endfor %}{{ loop.index }};{% endfor %}", "{}", "1a2b1;1a2b2;")]
    public void For_loops_and_loop_variable(string template, string variables, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template, variables));

    [Theory]
    [InlineData("{% set y = 1 %}{% for x in [1, 2] %}{% set y = y + x %}{{ y }}{% endfor %}|{{ y }}", "{}", "23|1")]
    [InlineData("{% for x in [1, 2] %}{% if loop.first %}{% set z = 5 %}{% endif %}[{{ z }}]{% endfor %}", "{}", "[5][]")]
    [InlineData("{% set ns = namespace(total=0, found=false) %}{% for x in [1, 2, 3] %}{% set ns.total = ns.total + x %}{% if x == 2 %}{% set ns.found = true %}{% endif %}{% endfor %}{{ ns.total }} {{ ns.found }} {{ ns.other is defined }}", "{}",
        "6 True False")]
    [InlineData("{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t = (3, 4) %}{% set c, d = t %}{{ c }}{{ d }}", "{}", "1234")]
    [InlineData("{% set t %}Hi {{ name }}{% endset %}[{{ t }}]{{ t | length }}", "{'name': 'Bob'}", "[Hi Bob]6")]
    [InlineData("{% if x %}a{% elif y %}b{% else %}c{% endif %}{% if y %}d{% endif %}{% if x %}e{% elif x %}f{% endif %}", "{'x': 0, 'y': 1}", "bd")]
    [InlineData("{% set messages = messages[1:] %}{{ messages | length }}", "{'messages': [1, 2, 3]}", "2")]
    public void Set_if_and_scoping(string template, string variables, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template, variables));

    [Theory]
    [InlineData("{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}{{ greet('Ann') }} {{ greet('Bo', greeting='Hi') }} {{ greet(greeting='Yo', name='Cy') }}",
        "Hello, Ann! Hi, Bo! Yo, Cy!")]
    [InlineData("{% macro show(x) %}[{{ x }}]{% endmacro %}{{ show() }}{{ show(1) | length }}", "[]3")]
    [InlineData("{% macro box() %}[{{ caller() }}]{% endmacro %}{% call box() %}inside{% endcall %}", "[inside]")]
    [InlineData("{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% call(item) each([1, 2]) %}<{{ item }}>{% endcall %}", "<1><2>")]
    [InlineData("{% set prefix = '> ' %}{% macro quote(t) %}{{ prefix }}{{ t }}{% endmacro %}{{ quote('a') }}", "> a")]
    [InlineData("{% generation %}text{% endgeneration %}{%- generation -%} more {%- endgeneration %}", "textmore")]
    public void Macros_call_blocks_and_generation(string template, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template));

    [Theory]
    [InlineData("{% if true %}\nyes\n{% endif %}\nafter", "yes\nafter")]
    [InlineData("  {% if true %}\n  yes\n  {% endif %}\ndone", "  yes\ndone")]
    [InlineData("{{ 'a' }}  \n  {{- 'b' }}|{{ 'a' -}}  \n  {{ 'b' }}", "ab|ab")]
    [InlineData("[  {%- if true -%}  x  {%- endif -%}  ]", "[x]")]
    [InlineData("{{ 'x' }}\n", "x")]
    [InlineData("a\n\n", "a\n")]
    [InlineData("{# comment #}\nA{#- c -#}  B", "AB")]
    [InlineData("  {# c #}\nX", "X")]
    [InlineData("{{ 1 }}\n{{ 2 }}\n", "1\n2")]
    [InlineData("  {%+ if true %}x{% endif +%}\ny", "  x\ny")]
    [InlineData("a\r\nb", "a\nb")]
    [InlineData("x  {% if true %}y{% endif %}", "x  y")]
    [InlineData("{% for x in [1, 2] %}\n  {{ x }}\n{% endfor %}", "  1\n  2\n")]
    [InlineData("{%- for x in [1, 2] %}\n    {{- x }}\n{%- endfor %}", "12")]
    public void Whitespace_control_with_trim_and_lstrip_blocks(string template, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template));

    [Theory]
    [InlineData("[{{ missing }}][{{ missing | length }}][{{ missing is defined }}][{% if missing %}t{% else %}f{% endif %}][{{ missing == none }}][{{ missing | list }}]", "[][0][False][f][False][[]]")]
    [InlineData("{{ d.nokey is defined }} {{ d['nokey'] is defined }} {{ d.nokey | default('x') }}", "False False x")]
    public void Undefined_values_are_empty_and_false(string template, string expected) =>
        Assert.Equal(expected, TemplateRendering.Render(template, "{'d': {}}"));

    [Fact]
    public void Strftime_now_reads_the_injected_clock()
    {
        var clock = new FixedClock(new DateTimeOffset(2024, 7, 4, 9, 5, 3, TimeSpan.Zero));
        string rendered = TemplateRendering.Render(
            "{{ strftime_now('%d %b %Y') }}|{{ strftime_now('%Y-%m-%d %H:%M:%S') }}|{{ strftime_now('%-d %B, %A %I %p %y %j') }}", "{}", clock);
        Assert.Equal("04 Jul 2024|2024-07-04 09:05:03|4 July, Thursday 09 AM 24 186", rendered);
    }

    [Fact]
    public void Llama31_style_date_default_uses_strftime_now_unless_a_date_is_given()
    {
        // The date logic of Llama 3.1's template: date_string defaults to today.
        const string template = "{%- if not date_string is defined %}{%- if strftime_now is defined %}{%- set date_string = strftime_now(\"%d %b %Y\") %}"
            + "{%- else %}{%- set date_string = \"26 Jul 2024\" %}{%- endif %}{%- endif %}Today Date: {{ date_string }}";
        var clock = new FixedClock(new DateTimeOffset(2025, 1, 9, 12, 0, 0, TimeSpan.Zero));
        Assert.Equal("Today Date: 09 Jan 2025", TemplateRendering.Render(template, "{}", clock));
        Assert.Equal("Today Date: 1 Feb 2000", TemplateRendering.Render(template, "{'date_string': '1 Feb 2000'}", clock));
    }

    sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
        public override TimeZoneInfo LocalTimeZone => TimeZoneInfo.Utc;
    }
}
