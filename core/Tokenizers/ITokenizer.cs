namespace Adapters.Core.Tokenizers;

/// <summary>Text ↔ token ids for a LLaMA vocabulary.</summary>
public interface ITokenizer
{
    int VocabSize { get; }
    int BosId { get; }
    int EosId { get; }

    /// <summary>Encodes text; with <paramref name="addBos"/> the BOS id comes first.</summary>
    IReadOnlyList<int> Encode(string text, bool addBos = true, bool addEos = false);

    /// <summary>
    /// Decodes ids to text: BOS/EOS are dropped, byte-fallback tokens (&lt;0xNN&gt;) are joined
    /// into UTF-8, and the SentencePiece leading space of the first piece is removed.
    /// </summary>
    string Decode(IReadOnlyList<int> ids);
}
