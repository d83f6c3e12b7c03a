namespace Adapters.Core.Tokenizers;

/// <summary>Text ↔ token ids for a model's vocabulary.</summary>
public interface ITokenizer
{
    int VocabSize { get; }

    /// <summary>The begin-of-sequence id, or -1 when the vocabulary has none (Qwen).</summary>
    int BosId { get; }

    /// <summary>The end-of-sequence id, or -1 when the tokenizer names none.</summary>
    int EosId { get; }

    /// <summary>
    /// Ids that end generation: EOS, plus the end-of-turn tokens of chat vocabularies
    /// (&lt;|eot_id|&gt;, &lt;|im_end|&gt; ...). SentencePiece and llama2.c vocabularies have only EOS.
    /// </summary>
    IReadOnlyList<int> EndOfTurnIds { get; }

    /// <summary>
    /// Encodes text; with <paramref name="addBos"/> the special tokens the tokenizer adds around a
    /// text come too (BOS for LLaMA vocabularies), with <paramref name="addEos"/> EOS comes last.
    /// </summary>
    IReadOnlyList<int> Encode(string text, bool addBos = true, bool addEos = false);

    /// <summary>
    /// Decodes ids to text without special tokens: BOS/EOS are dropped, byte tokens are joined
    /// into UTF-8, and the SentencePiece leading space of the first piece is removed.
    /// </summary>
    string Decode(IReadOnlyList<int> ids);

    /// <summary>The id of one token given as written in the vocabulary (e.g. "&lt;|eot_id|&gt;", "&lt;/s&gt;"), or null.</summary>
    int? TokenId(string token);
}
