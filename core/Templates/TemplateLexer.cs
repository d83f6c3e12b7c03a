using System.Globalization;
using System.Text;
using Adapters.Core.IO;

namespace Adapters.Core.Templates;

/// <summary>
/// Splits a template into text and tag tokens with the whitespace rules Hugging Face renders chat
/// templates with: Jinja's defaults plus <c>trim_blocks</c> (the first newline after a block or
/// comment tag is dropped) and <c>lstrip_blocks</c> (spaces and tabs before a block or comment tag at
/// the start of a line are dropped); <c>{%-</c>/<c>-%}</c> (and the <c>{{</c>, <c>{#</c> forms) strip
/// all whitespace on that side, <c>{%+</c>/<c>+%}</c> turn the two settings off for one tag. As in
/// Jinja, newlines are normalised to <c>\n</c> and one trailing newline of the template is removed.
/// </summary>
internal sealed class TemplateLexer
{
    static readonly string[] Operators =
        ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=", "(", ")", "[", "]", "{", "}", ",", ".", ":", "|"];

    readonly string origin;
    readonly string src;
    readonly List<int> lineStarts = [0];
    readonly List<TemplateToken> tokens = [];
    int pos;

    TemplateLexer(string source, string origin)
    {
        this.origin = origin;
        string text = source.Replace("\r\n", "\n").Replace('\r', '\n');
        if (text.EndsWith('\n')) text = text[..^1];
        src = text;
        for (int i = 0; i < src.Length; i++)
            if (src[i] == '\n') lineStarts.Add(i + 1);
    }

    public static List<TemplateToken> Tokenize(string source, string origin)
    {
        var lexer = new TemplateLexer(source, origin);
        lexer.Run();
        return lexer.tokens;
    }

    int LineAt(int position)
    {
        int index = lineStarts.BinarySearch(position);
        return (index >= 0 ? index : ~index - 1) + 1;
    }

    InvalidFileException Error(int position, string problem) => new(origin, $"line {LineAt(position)}: {problem}");

    void Run()
    {
        while (pos < src.Length)
        {
            int textStart = pos;
            int tag = FindTagStart(pos);
            string text = src[textStart..(tag < 0 ? src.Length : tag)];
            if (tag < 0)
            {
                EmitText(text, textStart);
                pos = src.Length;
                break;
            }
            char kind = src[tag + 1];
            char marker = tag + 2 < src.Length ? src[tag + 2] : '\0';
            if (marker == '-')
                text = text.TrimEnd();
            else if (marker != '+' && kind != '{')
                text = LstripBlock(text, textStart);
            EmitText(text, textStart);
            pos = tag + 2 + (marker is '-' or '+' ? 1 : 0);
            if (kind == '#') LexComment(tag);
            else LexTag(tag, kind == '%');
        }
        tokens.Add(new TemplateToken(TemplateTokenKind.End, "", LineAt(src.Length)));
    }

    int FindTagStart(int from)
    {
        for (int i = from; i + 1 < src.Length; i++)
            if (src[i] == '{' && src[i + 1] is '{' or '%' or '#') return i;
        return -1;
    }

    /// <summary>lstrip_blocks: drop the spaces and tabs that stand between a line start and the tag.</summary>
    string LstripBlock(string text, int textStart)
    {
        int lineStart = text.LastIndexOf('\n') + 1;
        bool startsLine = lineStart > 0 || textStart == 0 || src[textStart - 1] == '\n';
        if (!startsLine) return text;
        for (int i = lineStart; i < text.Length; i++)
            if (text[i] is not (' ' or '\t')) return text;
        return text[..lineStart];
    }

    void EmitText(string text, int start)
    {
        if (text.Length > 0) tokens.Add(new TemplateToken(TemplateTokenKind.Text, text, LineAt(start)));
    }

    void LexComment(int tagStart)
    {
        int close = src.IndexOf("#}", pos, StringComparison.Ordinal);
        if (close < 0) throw Error(tagStart, "comment '{#' is never closed with '#}'");
        char marker = close > pos ? src[close - 1] : '\0';
        pos = close + 2;
        AfterTagEnd(marker, trimNewline: true);
    }

    void AfterTagEnd(char marker, bool trimNewline)
    {
        if (marker == '-')
            while (pos < src.Length && char.IsWhiteSpace(src[pos])) pos++;
        else if (marker != '+' && trimNewline && pos < src.Length && src[pos] == '\n')
            pos++;
    }

    void LexTag(int tagStart, bool block)
    {
        int line = LineAt(tagStart);
        tokens.Add(new TemplateToken(block ? TemplateTokenKind.BlockBegin : TemplateTokenKind.VariableBegin, block ? "{%" : "{{", line));
        int depth = 0;
        while (true)
        {
            while (pos < src.Length && char.IsWhiteSpace(src[pos])) pos++;
            if (pos >= src.Length)
                throw Error(tagStart, $"tag '{(block ? "{%" : "{{")}' is never closed with '{(block ? "%}" : "}}")}'");
            if (depth == 0 && TryTagEnd(block)) return;
            LexExpressionToken(ref depth);
        }
    }

    bool TryTagEnd(bool block)
    {
        string end = block ? "%}" : "}}";
        foreach (char marker in new[] { '-', '+', '\0' })
        {
            if (marker == '+' && !block) continue;
            string candidate = marker == '\0' ? end : marker + end;
            if (string.CompareOrdinal(src, pos, candidate, 0, candidate.Length) != 0) continue;
            tokens.Add(new TemplateToken(block ? TemplateTokenKind.BlockEnd : TemplateTokenKind.VariableEnd, end, LineAt(pos)));
            pos += candidate.Length;
            AfterTagEnd(marker, trimNewline: block);
            return true;
        }
        return false;
    }

    void LexExpressionToken(ref int depth)
    {
        int start = pos;
        int line = LineAt(pos);
        char c = src[pos];
        if (c is '\'' or '"')
        {
            tokens.Add(new TemplateToken(TemplateTokenKind.String, ReadString(c), line));
            return;
        }
        if (char.IsAsciiDigit(c))
        {
            ReadNumber(line);
            return;
        }
        if (char.IsLetter(c) || c == '_')
        {
            while (pos < src.Length && (char.IsLetterOrDigit(src[pos]) || src[pos] == '_')) pos++;
            tokens.Add(new TemplateToken(TemplateTokenKind.Name, src[start..pos], line));
            return;
        }
        foreach (string op in Operators)
        {
            if (string.CompareOrdinal(src, pos, op, 0, op.Length) != 0) continue;
            if (op is "(" or "[" or "{") depth++;
            else if (op is ")" or "]" or "}") depth = Math.Max(0, depth - 1);
            tokens.Add(new TemplateToken(TemplateTokenKind.Operator, op, line));
            pos += op.Length;
            return;
        }
        throw Error(pos, $"unexpected character '{c}' inside a tag");
    }

    void ReadNumber(int line)
    {
        int start = pos;
        while (pos < src.Length && (char.IsAsciiDigit(src[pos]) || src[pos] == '_')) pos++;
        bool isFloat = false;
        if (pos + 1 < src.Length && src[pos] == '.' && char.IsAsciiDigit(src[pos + 1]))
        {
            isFloat = true;
            pos++;
            while (pos < src.Length && (char.IsAsciiDigit(src[pos]) || src[pos] == '_')) pos++;
        }
        if (pos < src.Length && src[pos] is 'e' or 'E')
        {
            int save = pos;
            pos++;
            if (pos < src.Length && src[pos] is '+' or '-') pos++;
            if (pos < src.Length && char.IsAsciiDigit(src[pos]))
            {
                isFloat = true;
                while (pos < src.Length && char.IsAsciiDigit(src[pos])) pos++;
            }
            else pos = save;
        }
        string text = src[start..pos].Replace("_", "");
        if (!isFloat && !long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out _))
            throw Error(start, $"integer literal {text} is too large");
        tokens.Add(new TemplateToken(isFloat ? TemplateTokenKind.Float : TemplateTokenKind.Integer, text, line));
    }

    /// <summary>A Python string literal: the usual backslash escapes; an unknown escape keeps its backslash, as Python does.</summary>
    string ReadString(char quote)
    {
        int start = pos;
        pos++;
        var sb = new StringBuilder();
        while (true)
        {
            if (pos >= src.Length) throw Error(start, "string literal is never closed");
            char c = src[pos++];
            if (c == quote) return sb.ToString();
            if (c != '\\') { sb.Append(c); continue; }
            if (pos >= src.Length) throw Error(start, "string literal is never closed");
            char e = src[pos++];
            switch (e)
            {
                case 'n': sb.Append('\n'); break;
                case 't': sb.Append('\t'); break;
                case 'r': sb.Append('\r'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'v': sb.Append('\v'); break;
                case 'a': sb.Append('\a'); break;
                case '0': sb.Append('\0'); break;
                case '\\': sb.Append('\\'); break;
                case '\'': sb.Append('\''); break;
                case '"': sb.Append('"'); break;
                case '\n': break;
                case 'x': sb.Append(ReadHexEscape(2, start)); break;
                case 'u': sb.Append(ReadHexEscape(4, start)); break;
                case 'U': sb.Append(ReadHexEscape(8, start)); break;
                default: sb.Append('\\').Append(e); break;
            }
        }
    }

    string ReadHexEscape(int digits, int literalStart)
    {
        if (pos + digits > src.Length || !int.TryParse(src.AsSpan(pos, digits), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out int code)
            || code > 0x10FFFF)
            throw Error(literalStart, "string literal has a malformed \\x, \\u or \\U escape");
        pos += digits;
        return code is >= 0xD800 and <= 0xDFFF ? ((char)code).ToString() : char.ConvertFromUtf32(code);
    }
}
