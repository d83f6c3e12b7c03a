using Adapters.Core.Generation;
using Adapters.Core.Tokenizers;

namespace Adapters.Host.Completions;

/// <summary>
/// Turns generated ids into text pieces as they arrive. The completion is decode(prompt +
/// generated) minus decode(prompt), exactly how the CLI's text splits, so SentencePiece's
/// leading space and multi-token UTF-8 characters come out right; a piece that ends inside a
/// UTF-8 character (U+FFFD so far) is held back until the character is complete. Control bytes
/// are never sent as text (<see cref="VisibleText"/>, as in the CLI).
/// </summary>
internal sealed class IncrementalDecoder
{
    const char Replacement = '\uFFFD';

    readonly ITokenizer _tokenizer;
    readonly List<int> _ids;
    readonly int _promptTextLength;
    int _emitted; // characters of the completion handed out so far

    public IncrementalDecoder(ITokenizer tokenizer, IReadOnlyList<int> promptTokens)
    {
        _tokenizer = tokenizer;
        _ids = [.. promptTokens];
        _promptTextLength = VisibleText.Of(tokenizer.Decode(_ids)).Length;
    }

    /// <summary>Text that <paramref name="token"/> completes (possibly empty).</summary>
    public string Add(int token)
    {
        _ids.Add(token);
        string completion = Completion();
        if (completion.Length > 0 && completion[^1] == Replacement) return "";
        return Take(completion);
    }

    /// <summary>Whatever is still held back (an incomplete character at the end of generation).</summary>
    public string Flush() => Take(Completion());

    string Completion()
    {
        string full = VisibleText.Of(_tokenizer.Decode(_ids));
        return full.Length > _promptTextLength ? full[_promptTextLength..] : "";
    }

    string Take(string completion)
    {
        if (completion.Length <= _emitted) return "";
        string piece = completion[_emitted..];
        _emitted = completion.Length;
        return piece;
    }
}
