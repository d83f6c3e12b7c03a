namespace Adapters.Core.Tokenizers;

/// <summary>
/// Turns generated ids into text pieces as they arrive, for any <see cref="ITokenizer"/>. Each step
/// decodes a short window (a few tokens already shown plus the new ones) and hands out what the new
/// ones add, so the cost per token stays constant and window-start effects (SentencePiece's leading
/// space) cancel out. Text is held back while it ends in U+FFFD (a byte-level or byte-fallback token
/// that ends inside a UTF-8 character) or in the start of a clean-up pattern (" ", " n", " '": Hugging
/// Face's clean-up may still drop that space once the next token brings "." or "'t"). Concatenated, the pieces equal
/// decode(prompt + generated) minus decode(prompt).
/// </summary>
public sealed class StreamingDecoder
{
    const char Replacement = '\uFFFD';

    /// <summary>Prompt tokens the first window starts with: enough context for the first piece's spacing.</summary>
    const int ContextTokens = 5;

    readonly ITokenizer _tokenizer;
    readonly List<int> _ids;
    int _prefixOffset; // the window starts here
    int _readOffset;   // tokens before this are shown

    public StreamingDecoder(ITokenizer tokenizer, IReadOnlyList<int> promptTokens)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(promptTokens);
        _tokenizer = tokenizer;
        _ids = [.. promptTokens];
        _readOffset = _ids.Count;
        _prefixOffset = Math.Max(0, _ids.Count - ContextTokens);
    }

    /// <summary>Text that <paramref name="token"/> completes (possibly empty).</summary>
    public string Add(int token)
    {
        _ids.Add(token);
        return Take(final: false);
    }

    /// <summary>Whatever is still held back, at the end of generation.</summary>
    public string Flush() => Take(final: true);

    string Take(bool final)
    {
        string shown = Decode(_prefixOffset, _readOffset);
        string window = Decode(_prefixOffset, _ids.Count);
        if (!final && (window.Length <= shown.Length || window[^1] == Replacement || MayStillChange(window))) return "";
        // The shown text never ends in a held-back character, so the window starts with it.
        string piece = window.Length > shown.Length ? window[shown.Length..] : "";
        _prefixOffset = _readOffset;
        _readOffset = _ids.Count;
        return piece;
    }

    /// <summary>
    /// The text ends with the start of one of transformers' clean-up patterns (" .", " n't", " 's",
    /// " ' " ...), which the next token may complete, removing the space.
    /// </summary>
    static bool MayStillChange(string text) =>
        text.EndsWith(' ') || text.EndsWith(" '", StringComparison.Ordinal) || text.EndsWith(" n", StringComparison.Ordinal)
        || text.EndsWith(" n'", StringComparison.Ordinal) || text.EndsWith(" 'v", StringComparison.Ordinal) || text.EndsWith(" 'r", StringComparison.Ordinal);

    string Decode(int from, int to) => from >= to ? "" : _tokenizer.Decode(_ids.GetRange(from, to - from));
}
