using Adapters.Core.IO;
using Microsoft.ML.Tokenizers;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// A SentencePiece BPE tokenizer.model (LLaMA's format), encoded and decoded by
/// Microsoft.ML.Tokenizers' <see cref="LlamaTokenizer"/>. BOS/EOS are added here rather than by
/// the library, so <c>addBos</c> alone decides whether a BOS comes first (also for empty text).
/// </summary>
public sealed class SentencePieceTokenizer : ITokenizer
{
    /// <summary>Refuse larger files before reading them: LLaMA's model is 0.5 MB, a 256k-piece vocabulary about 5 MB.</summary>
    const long MaxModelBytes = 256L << 20;

    readonly LlamaTokenizer _tokenizer;
    readonly SentencePieceModelProto.Model _model;

    SentencePieceTokenizer(LlamaTokenizer tokenizer, SentencePieceModelProto.Model model, string source)
    {
        _tokenizer = tokenizer;
        _model = model;
        Source = source;
        Pieces = model.Pieces.Select(p => p.Text).ToArray();
        Scores = model.Pieces.Select(p => p.Score).ToArray();
        _pieceIds = new(() =>
        {
            var ids = new Dictionary<string, int>(StringComparer.Ordinal);
            for (int i = 0; i < Pieces.Count; i++) ids.TryAdd(Pieces[i], i);
            return ids;
        });
    }

    /// <summary>Reads a SentencePiece tokenizer.model; <paramref name="expectedVocabSize"/> is the model's vocab_size.</summary>
    /// <exception cref="InvalidFileException">Missing or malformed file, a non-BPE model, or a vocabulary size mismatch.</exception>
    public static SentencePieceTokenizer Load(string path, int? expectedVocabSize = null)
    {
        if (!File.Exists(path)) throw new InvalidFileException(path, "tokenizer file not found");
        long length = new FileInfo(path).Length;
        if (length > MaxModelBytes)
            throw new InvalidFileException(path, $"file is {length} bytes, too large for a SentencePiece model (at most {MaxModelBytes})");
        byte[] bytes = File.ReadAllBytes(path);
        if (!SentencePieceModelProto.LooksLikeModel(bytes))
            throw new InvalidFileException(path, "not a SentencePiece model: it does not start with a protobuf vocabulary piece");
        var model = SentencePieceModelProto.Parse(path, bytes);
        if (!model.HasTrainerSpec)
            throw new InvalidFileException(path, $"SentencePiece model ends after {model.Pieces.Count} pieces without its trainer_spec (truncated?)");
        if (model.Type != SentencePieceModelProto.ModelType.Bpe)
            throw new InvalidFileException(path, $"SentencePiece model type is {model.Type}; only BPE models (LLaMA's) are supported");

        LlamaTokenizer tokenizer;
        try
        {
            using var stream = new MemoryStream(bytes, writable: false);
            tokenizer = LlamaTokenizer.Create(stream, addBeginOfSentence: false, addEndOfSentence: false);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidFileException(path, $"Microsoft.ML.Tokenizers cannot read this SentencePiece model: {e.Message}");
        }
        int vocabSize = model.Pieces.Count;
        if (expectedVocabSize is int expected && expected != vocabSize)
            throw new InvalidFileException(path, $"vocab size mismatch: the tokenizer holds {vocabSize} tokens but the model's vocab_size is {expected}");
        return new SentencePieceTokenizer(tokenizer, model, path);
    }

    public TokenizerKind Kind => TokenizerKind.SentencePiece;
    public string Source { get; }
    public int VocabSize => _model.Pieces.Count;
    public int BosId => _tokenizer.BeginningOfSentenceId;
    public int EosId => _tokenizer.EndOfSentenceId;
    public int UnkId => _tokenizer.UnknownId;
    public IReadOnlyList<int> EndOfTurnIds => [EosId];

    /// <summary>A piece in SentencePiece spelling ('▁' for a space), e.g. "&lt;/s&gt;".</summary>
    public int? TokenId(string token) => _pieceIds.Value.TryGetValue(token, out int id) ? id : null;

    readonly Lazy<Dictionary<string, int>> _pieceIds;

    /// <summary>Pieces in SentencePiece's own spelling ('▁' for a space), indexed by id.</summary>
    public IReadOnlyList<string> Pieces { get; }
    public IReadOnlyList<float> Scores { get; }

    public IReadOnlyList<int> Encode(string text, bool addBos = true, bool addEos = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        var ids = new List<int>(text.Length + 2);
        if (addBos) ids.Add(BosId);
        ids.AddRange(_tokenizer.EncodeToIds(text, addBeginningOfSentence: false, addEndOfSentence: false));
        if (addEos) ids.Add(EosId);
        return ids;
    }

    /// <summary>
    /// Control tokens (&lt;unk&gt;, BOS, EOS) are dropped; the library joins byte-fallback tokens into
    /// UTF-8 and removes the dummy-prefix space of the first piece.
    /// </summary>
    public string Decode(IReadOnlyList<int> ids)
    {
        ArgumentNullException.ThrowIfNull(ids);
        var kept = new List<int>(ids.Count);
        foreach (int id in ids)
        {
            if ((uint)id >= (uint)VocabSize)
                throw new ArgumentOutOfRangeException(nameof(ids), $"token id {id} is outside the vocabulary of {VocabSize}");
            if (id != BosId && id != EosId && id != UnkId) kept.Add(id);
        }
        return _tokenizer.Decode(kept, considerSpecialTokens: false);
    }
}
