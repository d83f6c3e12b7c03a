using Adapters.Core.IO;
using System.Buffers;
using System.Text;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// The llama2.c tokenizer (tokenizer.bin): a SentencePiece BPE vocabulary whose pieces use a
/// plain space where SentencePiece writes '▁'. Encoding follows llama2.c run.c's encode():
/// a dummy-prefix " " token for non-empty text, one token per UTF-8 code point (or its bytes as
/// &lt;0xNN&gt; tokens, id = byte + 3, when the code point is not in the vocabulary), then the adjacent
/// pair whose concatenation is the highest-scoring vocabulary piece is merged until none is left.
/// </summary>
public sealed class Llama2cTokenizer : ITokenizer
{
    public const int UnknownId = 0;
    public const int BeginOfSentenceId = 1;
    public const int EndOfSentenceId = 2;

    /// <summary>Byte b falls back to token b + 3: ids 3..258 are &lt;0x00&gt;..&lt;0xFF&gt;, after &lt;unk&gt;, &lt;s&gt;, &lt;/s&gt;.</summary>
    public const int ByteTokenOffset = 3;

    /// <summary>Ids 0..258: the three control tokens and the 256 byte tokens every llama2.c vocabulary starts with.</summary>
    public const int MinVocabSize = ByteTokenOffset + 256;

    /// <summary>run.c starts its search with best_score = -1e10, so pieces scoring at or below it are never merged into.</summary>
    public const float NoMergeScore = -1e10f;

    /// <summary>SentencePiece's dummy prefix: run.c encodes it as the vocabulary's " " piece.</summary>
    const string DummyPrefix = " ";

    readonly string[] _pieces;
    readonly float[] _scores;
    readonly Dictionary<string, int> _ids;
    readonly int[] _byteOf; // byte value of a <0xNN> piece, -1 for other pieces
    readonly byte[][] _utf8; // each piece's UTF-8 bytes, encoded once: a streamed answer decodes a window per token

    /// <summary>Builds a tokenizer from llama2.c pieces (plain spaces) and their scores.</summary>
    /// <exception cref="ArgumentException">The vocabulary lacks the control and byte tokens at ids 0..258.</exception>
    public Llama2cTokenizer(IReadOnlyList<string> pieces, IReadOnlyList<float> scores, int? maxTokenLength = null, string source = "<memory>")
    {
        if (pieces.Count != scores.Count)
            throw new ArgumentException($"{pieces.Count} pieces but {scores.Count} scores");
        string? problem = VocabularyProblem(pieces);
        if (problem != null) throw new ArgumentException(problem);
        _pieces = pieces.ToArray();
        _scores = scores.ToArray();
        Source = source;
        MaxTokenLength = maxTokenLength ?? _pieces.Max(p => Encoding.UTF8.GetByteCount(p));
        _ids = new Dictionary<string, int>(_pieces.Length, StringComparer.Ordinal);
        for (int i = 0; i < _pieces.Length; i++) _ids.TryAdd(_pieces[i], i); // duplicates: the lowest id wins
        _byteOf = _pieces.Select(ByteValue).ToArray();
        _utf8 = _pieces.Select(Encoding.UTF8.GetBytes).ToArray();
    }

    /// <summary>
    /// Reads a llama2.c tokenizer.bin. With <paramref name="expectedVocabSize"/> (the model's
    /// vocab_size) the file must hold exactly that many tokens; without it, tokens are read to the end.
    /// </summary>
    /// <exception cref="InvalidFileException">Missing, truncated or malformed file, or a vocabulary size mismatch.</exception>
    public static Llama2cTokenizer Load(string path, int? expectedVocabSize = null)
    {
        var (pieces, scores, maxTokenLength) = Llama2cTokenizerFile.Read(path, expectedVocabSize);
        string? problem = VocabularyProblem(pieces);
        if (problem != null) throw new InvalidFileException(path, problem);
        return new Llama2cTokenizer(pieces, scores, maxTokenLength, path);
    }

    /// <summary>Writes this vocabulary in llama2.c's tokenizer.bin format (atomically).</summary>
    public void Save(string path) => Llama2cTokenizerFile.Write(path, _pieces, _scores, MaxTokenLength);

    public TokenizerKind Kind => TokenizerKind.Llama2c;
    public string Source { get; }
    public int VocabSize => _pieces.Length;
    public int BosId => BeginOfSentenceId;
    public int EosId => EndOfSentenceId;
    public int UnkId => UnknownId;
    public IReadOnlyList<int> EndOfTurnIds { get; } = [EndOfSentenceId];

    /// <summary>A piece as llama2.c stores it (plain spaces); the control tokens also by their SentencePiece names.</summary>
    public int? TokenId(string token) =>
        token switch
        {
            "<unk>" => UnknownId,
            "<s>" => BeginOfSentenceId,
            "</s>" => EndOfSentenceId,
            _ => _ids.TryGetValue(token, out int id) ? id : null,
        };
    public int MaxTokenLength { get; }

    /// <summary>Pieces as stored by llama2.c: plain spaces, BOS/EOS written as "\n&lt;s&gt;\n" and "\n&lt;/s&gt;\n".</summary>
    public IReadOnlyList<string> Pieces => _pieces;
    public IReadOnlyList<float> Scores => _scores;

    public IReadOnlyList<int> Encode(string text, bool addBos = true, bool addEos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var tokens = new List<int>(text.Length + 3);
        if (text.Length > 0)
        {
            if (_ids.TryGetValue(DummyPrefix, out int prefix)) tokens.Add(prefix);
            else tokens.Add(' ' + ByteTokenOffset); // run.c assumes " " exists; byte fallback is its SentencePiece equivalent
            Span<byte> utf8 = stackalloc byte[4];
            foreach (Rune rune in text.EnumerateRunes())
            {
                if (_ids.TryGetValue(rune.ToString(), out int id)) { tokens.Add(id); continue; }
                int n = rune.EncodeToUtf8(utf8);
                for (int i = 0; i < n; i++) tokens.Add(utf8[i] + ByteTokenOffset);
            }
            tokens = Merge(tokens);
        }
        // run.c scans BOS along with the text, but no piece starts with BOS's "\n<s>\n", so merging without it is the same.
        if (addBos) tokens.Insert(0, BosId);
        if (addEos) tokens.Add(EosId);
        return tokens;
    }

    /// <summary>
    /// run.c's merge loop (each step merges the adjacent pair whose concatenation is the
    /// highest-scoring piece; ties go to the leftmost pair), with a priority queue instead of a
    /// rescan so long texts stay O(n log n). Symbols keep their original index, so "leftmost"
    /// is the smallest index among live pairs.
    /// </summary>
    List<int> Merge(List<int> initial)
    {
        int n = initial.Count;
        var id = initial.ToArray();
        var next = new int[n];
        var prev = new int[n];
        var alive = new bool[n];
        for (int i = 0; i < n; i++) { next[i] = i + 1 < n ? i + 1 : -1; prev[i] = i - 1; alive[i] = true; }

        var queue = new PriorityQueue<Candidate, (float Score, int Left)>(CandidateOrder.Instance);
        void Offer(int left)
        {
            int right = next[left];
            if (right < 0) return;
            if (!_ids.TryGetValue(_pieces[id[left]] + _pieces[id[right]], out int merged)) return;
            float score = _scores[merged];
            if (score > NoMergeScore) queue.Enqueue(new Candidate(left, right, id[left], id[right], merged), (score, left));
        }
        for (int i = 0; i + 1 < n; i++) Offer(i);

        while (queue.TryDequeue(out var c, out _))
        {
            // Skip candidates made stale by an earlier merge of either symbol.
            if (!alive[c.Left] || !alive[c.Right] || next[c.Left] != c.Right || id[c.Left] != c.LeftId || id[c.Right] != c.RightId) continue;
            id[c.Left] = c.Merged;
            alive[c.Right] = false;
            next[c.Left] = next[c.Right];
            if (next[c.Left] >= 0) prev[next[c.Left]] = c.Left;
            if (prev[c.Left] >= 0) Offer(prev[c.Left]);
            Offer(c.Left);
        }

        var result = new List<int>(n);
        for (int i = 0; i >= 0 && i < n; i = next[i]) result.Add(id[i]);
        return result;
    }

    readonly record struct Candidate(int Left, int Right, int LeftId, int RightId, int Merged);

    /// <summary>Higher score first; among equal scores the leftmost pair (run.c keeps the first strict maximum).</summary>
    sealed class CandidateOrder : IComparer<(float Score, int Left)>
    {
        public static readonly CandidateOrder Instance = new();
        public int Compare((float Score, int Left) a, (float Score, int Left) b)
        {
            int byScore = b.Score.CompareTo(a.Score);
            return byScore != 0 ? byScore : a.Left.CompareTo(b.Left);
        }
    }

    /// <summary>
    /// Control tokens (&lt;unk&gt;, BOS, EOS) are dropped; byte tokens are gathered into raw bytes and the
    /// whole sequence is UTF-8 decoded, so a character split over several &lt;0xNN&gt; tokens comes back.
    /// The leading space of the first piece (the dummy prefix) is removed, as SentencePiece does.
    /// </summary>
    public string Decode(IReadOnlyList<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        int length = 0;
        for (int i = 0; i < ids.Count; i++) // indexed: a foreach over the interface would allocate its enumerator, twice per token streamed
        {
            int token = ids[i];
            if ((uint)token >= (uint)_pieces.Length)
                throw new ArgumentOutOfRangeException(nameof(ids), $"token id {token} is outside the vocabulary of {_pieces.Length}");
            length += _byteOf[token] >= 0 ? 1 : _utf8[token].Length;
        }
        byte[]? rented = null;
        Span<byte> bytes = length <= 256 ? stackalloc byte[256] : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            int written = 0;
            bool first = true;
            for (int i = 0; i < ids.Count; i++)
            {
                int token = ids[i];
                if (token is UnknownId or BeginOfSentenceId or EndOfSentenceId) continue;
                if (_byteOf[token] >= 0) bytes[written++] = (byte)_byteOf[token];
                else
                {
                    ReadOnlySpan<byte> piece = _utf8[token];
                    if (first && piece.Length > 0 && piece[0] == (byte)' ') piece = piece[1..];
                    piece.CopyTo(bytes[written..]);
                    written += piece.Length;
                }
                first = false;
            }
            return Encoding.UTF8.GetString(bytes[..written]); // invalid sequences become U+FFFD, as in SentencePiece
        }
        finally
        {
            if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>The byte of a "&lt;0xNN&gt;" piece (run.c's sscanf "&lt;0x%02hhX&gt;"), or -1.</summary>
    static int ByteValue(string piece) =>
        piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>'
        && byte.TryParse(piece.AsSpan(3, 2), System.Globalization.NumberStyles.AllowHexSpecifier, null, out byte b)
            ? b : -1;

    /// <summary>Why a vocabulary cannot be used with run.c's id conventions, or null.</summary>
    internal static string? VocabularyProblem(IReadOnlyList<string> pieces)
    {
        if (pieces.Count < MinVocabSize)
            return $"vocabulary has {pieces.Count} tokens; a llama2.c vocabulary needs at least {MinVocabSize} (<unk>, <s>, </s>, then the byte tokens <0x00>..<0xFF> at ids 3..258)";
        for (int b = 0; b < 256; b++)
            if (ByteValue(pieces[b + ByteTokenOffset]) != b)
                return $"token {b + ByteTokenOffset} is '{pieces[b + ByteTokenOffset]}', expected the byte token <0x{b:X2}> (byte fallback needs <0x00>..<0xFF> at ids 3..258)";
        return null;
    }
}
