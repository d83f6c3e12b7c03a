using Microsoft.ML.Tokenizers;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// Hands Microsoft.ML.Tokenizers' BPE the whole string as one word: with no pre-tokenizer the
/// library would split at whitespace itself, but our words are already cut (and may be all spaces).
/// </summary>
internal sealed class WholeTextPreTokenizer : PreTokenizer
{
    public static readonly WholeTextPreTokenizer Instance = new();

    public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) =>
        string.IsNullOrEmpty(text) ? [] : [(0, text.Length)];

    public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) =>
        text.IsEmpty ? [] : [(0, text.Length)];
}
