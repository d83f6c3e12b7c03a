using Adapters.Core.Tokenizers;

namespace Adapters.Export.Gguf;

/// <summary>
/// A SentencePiece-style vocabulary as llama.cpp's "llama" tokenizer model reads it
/// (tokenizer.ggml.tokens / scores / token_type): pieces spelled with '▁' for a space, scores
/// that rank merges, and each piece's type. llama.cpp's SPM tokenizer merges the adjacent pair
/// whose merged piece scores highest, like llama2.c's run.c and SentencePiece's BPE.
/// </summary>
public sealed record GgufVocabulary
{
    public required IReadOnlyList<string> Pieces { get; init; }
    public required IReadOnlyList<float> Scores { get; init; }
    public required IReadOnlyList<GgufTokenType> Types { get; init; }
    public int UnknownId { get; init; } = Llama2cTokenizer.UnknownId;
    public int BosId { get; init; } = Llama2cTokenizer.BeginOfSentenceId;
    public int EosId { get; init; } = Llama2cTokenizer.EndOfSentenceId;

    /// <summary>The vocabulary of one of our tokenizers (llama2.c tokenizer.bin or SentencePiece tokenizer.model).</summary>
    /// <exception cref="ArgumentException">A tokenizer kind GGUF's "llama" tokenizer model cannot express.</exception>
    public static GgufVocabulary From(ITokenizer tokenizer) => tokenizer switch
    {
        Llama2cTokenizer t => FromPieces(HfTokenizerWriter.FromLlama2cPieces(t.Pieces), t.Scores, t.UnkId, t.BosId, t.EosId),
        SentencePieceTokenizer t => FromPieces(t.Pieces, t.Scores, t.UnkId, t.BosId, t.EosId),
        HfTokenizer => throw new ArgumentException("a Hugging Face tokenizer.json cannot be written as GGUF here: llama.cpp reads a BPE vocabulary as tokenizer.ggml.model \"gpt2\" with tokenizer.ggml.merges and a tokenizer.ggml.pre name (what convert_hf_to_gguf.py writes), and this writer writes only the \"llama\" (SentencePiece) model of llama2.c and tokenizer.model vocabularies"),
        _ => throw new ArgumentException($"a {tokenizer.GetType().Name} cannot be written as GGUF's \"llama\" (SentencePiece) tokenizer; only llama2.c and SentencePiece vocabularies can"),
    };

    /// <summary>Types as SentencePiece assigns them in LLaMA vocabularies: unknown, control (BOS/EOS), byte (&lt;0xNN&gt;), normal.</summary>
    public static GgufVocabulary FromPieces(IReadOnlyList<string> pieces, IReadOnlyList<float> scores, int unknownId, int bosId, int eosId)
    {
        if (pieces.Count != scores.Count) throw new ArgumentException($"{pieces.Count} pieces but {scores.Count} scores");
        foreach (var (name, id) in new[] { ("unknown", unknownId), ("BOS", bosId), ("EOS", eosId) })
            if ((uint)id >= (uint)pieces.Count) throw new ArgumentException($"{name} id {id} is outside the vocabulary of {pieces.Count}");
        var types = new GgufTokenType[pieces.Count];
        for (int i = 0; i < types.Length; i++)
            types[i] = i == unknownId ? GgufTokenType.Unknown
                : i == bosId || i == eosId ? GgufTokenType.Control
                : IsBytePiece(pieces[i]) ? GgufTokenType.Byte
                : GgufTokenType.Normal;
        return new GgufVocabulary { Pieces = pieces, Scores = scores, Types = types, UnknownId = unknownId, BosId = bosId, EosId = eosId };
    }

    static bool IsBytePiece(string piece) =>
        piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>' && Uri.IsHexDigit(piece[3]) && Uri.IsHexDigit(piece[4]);
}
