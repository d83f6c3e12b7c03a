namespace Adapters.Core.Tokenizers;

/// <summary>
/// Cuts text at occurrences of added tokens, leftmost first and the longest one at a position
/// (as Hugging Face's trie does), so "&lt;|im_end|&gt;" is found inside "text&lt;|im_end|&gt;text".
/// </summary>
internal sealed class HfAddedTokenSplitter
{
    /// <summary>Candidates by first character, longest first.</summary>
    readonly Dictionary<char, HfAddedToken[]> _byFirstChar;

    public HfAddedTokenSplitter(IEnumerable<HfAddedToken> tokens)
    {
        _byFirstChar = tokens.Where(t => t.Content.Length > 0)
            .GroupBy(t => t.Content[0])
            .ToDictionary(g => g.Key, g => g.OrderByDescending(t => t.Content.Length).ToArray());
    }

    /// <summary>One piece of split text: an added token, or a run of plain text.</summary>
    public readonly record struct Piece(string Text, HfAddedToken? Token);

    /// <summary>Plain runs and added tokens in order; lstrip/rstrip trim the neighbouring runs' whitespace.</summary>
    public List<Piece> Split(string text)
    {
        var pieces = new List<Piece>();
        int start = 0, i = 0;
        while (i < text.Length)
        {
            HfAddedToken? match = null;
            if (_byFirstChar.TryGetValue(text[i], out var candidates))
                foreach (var candidate in candidates)
                    if (string.CompareOrdinal(text, i, candidate.Content, 0, candidate.Content.Length) == 0) { match = candidate; break; }
            if (match is null) { i++; continue; }
            if (i > start) pieces.Add(new Piece(text[start..i], null));
            pieces.Add(new Piece(match.Content, match));
            i += match.Content.Length;
            start = i;
        }
        if (start < text.Length) pieces.Add(new Piece(text[start..], null));

        for (int p = 0; p < pieces.Count; p++)
        {
            if (pieces[p].Token is not { } token) continue;
            if (token.LStrip && p > 0 && pieces[p - 1].Token is null) pieces[p - 1] = pieces[p - 1] with { Text = pieces[p - 1].Text.TrimEnd() };
            if (token.RStrip && p + 1 < pieces.Count && pieces[p + 1].Token is null) pieces[p + 1] = pieces[p + 1] with { Text = pieces[p + 1].Text.TrimStart() };
        }
        return pieces;
    }
}
