using System.Globalization;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Adapters.Core.IO;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// Writes a LLaMA SentencePiece-style vocabulary as Hugging Face tokenizer.json and
/// tokenizer_config.json, the files ONNX Runtime GenAI's <c>Tokenizer</c> reads. The layout is
/// what transformers' LlamaConverter produces for LLaMA-2: a BPE model with byte fallback over
/// '▁'-spelled pieces, merges derived from piece scores, normalizer Prepend("▁") + Replace(" "→"▁"),
/// decoder Replace("▁"→" "), ByteFallback, Fuse, Strip(1 leading space).
/// Checked by hand with ONNX Runtime GenAI 0.18 and Hugging Face tokenizers 0.23: the same ids as
/// <see cref="Llama2cTokenizer.Encode"/>. GenAI's Tokenizer.Encode adds BOS only after
/// UpdateOptions({"add_special_tokens": "true"}), and strips the dummy-prefix space only after a BOS.
/// </summary>
public static class HfTokenizerWriter
{
    public const string TokenizerJsonFile = "tokenizer.json";
    public const string TokenizerConfigFile = "tokenizer_config.json";

    /// <summary>SentencePiece's visible space, U+2581 LOWER ONE EIGHTH BLOCK.</summary>
    public const string SpaceSymbol = "\u2581";

    /// <summary>The control pieces at ids 0, 1, 2 in every LLaMA vocabulary.</summary>
    public static readonly IReadOnlyList<string> ControlPieces = ["<unk>", "<s>", "</s>"];

    /// <summary>Writes both files for a llama2.c vocabulary (its spaces become '▁').</summary>
    /// <param name="modelMaxLength">The model's context length, recorded as model_max_length when given.</param>
    public static void Write(Llama2cTokenizer tokenizer, string folder, int? modelMaxLength = null) =>
        Write(FromLlama2cPieces(tokenizer.Pieces), tokenizer.Scores, folder, modelMaxLength);

    /// <summary>Writes both files for a SentencePiece tokenizer.model's vocabulary.</summary>
    public static void Write(SentencePieceTokenizer tokenizer, string folder, int? modelMaxLength = null) =>
        Write(tokenizer.Pieces, tokenizer.Scores, folder, modelMaxLength);

    /// <summary>
    /// Writes both files into <paramref name="folder"/> (created if needed; other files are left alone).
    /// <paramref name="pieces"/> are in SentencePiece spelling ('▁' for a space), ids 0..2 the control pieces.
    /// </summary>
    public static void Write(IReadOnlyList<string> pieces, IReadOnlyList<float> scores, string folder, int? modelMaxLength = null)
    {
        string tokenizerJson = BuildTokenizerJson(pieces, scores);
        string configJson = BuildTokenizerConfigJson(modelMaxLength);
        Directory.CreateDirectory(folder);
        AtomicFile.WriteAllText(Path.Combine(folder, TokenizerJsonFile), tokenizerJson);
        AtomicFile.WriteAllText(Path.Combine(folder, TokenizerConfigFile), configJson);
    }

    /// <summary>
    /// llama2.c pieces → SentencePiece spelling: ' ' becomes '▁', and BOS/EOS, which llama2.c's
    /// exporter stores as "\n&lt;s&gt;\n" and "\n&lt;/s&gt;\n", get their SentencePiece names back.
    /// </summary>
    public static IReadOnlyList<string> FromLlama2cPieces(IReadOnlyList<string> llama2cPieces)
    {
        var result = new string[llama2cPieces.Count];
        for (int i = 0; i < result.Length; i++)
            result[i] = i < ControlPieces.Count ? ControlPieces[i] : llama2cPieces[i].Replace(" ", SpaceSymbol, StringComparison.Ordinal);
        return result;
    }

    /// <summary>
    /// BPE merges as LlamaConverter derives them from a SentencePiece vocabulary: every split of a
    /// piece into two pieces of the vocabulary is a merge; splits of one piece are ordered by
    /// (left id, right id), and all merges by the merged piece's score, highest first (stable, so
    /// equal scores keep id order). Unlike the converter, control and byte pieces are never merge
    /// results, and pieces scoring at or below llama2.c's -1e10 floor are left out: SentencePiece and
    /// run.c never produce those by merging.
    /// </summary>
    public static IReadOnlyList<(string Left, string Right)> DeriveMerges(IReadOnlyList<string> pieces, IReadOnlyList<float> scores)
    {
        var ids = IdsOf(pieces);
        var merges = new List<(int Left, int Right, float Score)>();
        var local = new List<(int Left, int Right, float Score)>();
        for (int id = 0; id < pieces.Count; id++)
        {
            string piece = pieces[id];
            if (id < ControlPieces.Count || IsBytePiece(piece) || !(scores[id] > Llama2cTokenizer.NoMergeScore)) continue;
            local.Clear();
            for (int split = 1; split < piece.Length; split++)
            {
                if (char.IsLowSurrogate(piece[split])) continue; // split between code points only, as Python does
                if (ids.TryGetValue(piece[..split], out int left) && ids.TryGetValue(piece[split..], out int right))
                    local.Add((left, right, scores[id]));
            }
            local.Sort((a, b) => a.Left != b.Left ? a.Left.CompareTo(b.Left) : a.Right.CompareTo(b.Right));
            merges.AddRange(local);
        }
        return merges.OrderByDescending(m => m.Score).Select(m => (pieces[m.Left], pieces[m.Right])).ToList();
    }

    /// <summary>The tokenizer.json text.</summary>
    public static string BuildTokenizerJson(IReadOnlyList<string> pieces, IReadOnlyList<float> scores)
    {
        Validate(pieces, scores);
        var merges = DeriveMerges(pieces, scores);
        // "a b" strings are the classic merge syntax every reader accepts; pairs are needed only if a piece holds a space.
        bool mergesAsPairs = pieces.Any(p => p.Contains(' '));

        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteString("version", "1.0");
            w.WriteNull("truncation");
            w.WriteNull("padding");

            w.WriteStartArray("added_tokens");
            for (int id = 0; id < ControlPieces.Count; id++)
            {
                w.WriteStartObject();
                w.WriteNumber("id", id);
                w.WriteString("content", ControlPieces[id]);
                w.WriteBoolean("single_word", false);
                w.WriteBoolean("lstrip", false);
                w.WriteBoolean("rstrip", false);
                w.WriteBoolean("normalized", false);
                w.WriteBoolean("special", true);
                w.WriteEndObject();
            }
            w.WriteEndArray();

            w.WriteStartObject("normalizer");
            w.WriteString("type", "Sequence");
            w.WriteStartArray("normalizers");
            w.WriteStartObject(); w.WriteString("type", "Prepend"); w.WriteString("prepend", SpaceSymbol); w.WriteEndObject();
            WriteReplace(w, " ", SpaceSymbol);
            w.WriteEndArray();
            w.WriteEndObject();

            w.WriteNull("pre_tokenizer");
            WritePostProcessor(w);

            w.WriteStartObject("decoder");
            w.WriteString("type", "Sequence");
            w.WriteStartArray("decoders");
            WriteReplace(w, SpaceSymbol, " ");
            w.WriteStartObject(); w.WriteString("type", "ByteFallback"); w.WriteEndObject();
            w.WriteStartObject(); w.WriteString("type", "Fuse"); w.WriteEndObject();
            w.WriteStartObject(); w.WriteString("type", "Strip"); w.WriteString("content", " "); w.WriteNumber("start", 1); w.WriteNumber("stop", 0); w.WriteEndObject();
            w.WriteEndArray();
            w.WriteEndObject();

            w.WriteStartObject("model");
            w.WriteString("type", "BPE");
            w.WriteNull("dropout");
            w.WriteString("unk_token", ControlPieces[0]);
            w.WriteNull("continuing_subword_prefix");
            w.WriteNull("end_of_word_suffix");
            w.WriteBoolean("fuse_unk", true);
            w.WriteBoolean("byte_fallback", true);
            w.WriteStartObject("vocab");
            for (int id = 0; id < pieces.Count; id++) w.WriteNumber(pieces[id], id);
            w.WriteEndObject();
            w.WriteStartArray("merges");
            foreach (var (left, right) in merges)
            {
                if (!mergesAsPairs) { w.WriteStringValue(left + " " + right); continue; }
                w.WriteStartArray(); w.WriteStringValue(left); w.WriteStringValue(right); w.WriteEndArray();
            }
            w.WriteEndArray();
            w.WriteEndObject();

            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>The tokenizer_config.json text: LLaMA's class, special tokens and BOS-on policy.</summary>
    public static string BuildTokenizerConfigJson(int? modelMaxLength = null)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer, WriterOptions))
        {
            w.WriteStartObject();
            w.WriteBoolean("add_bos_token", true);
            w.WriteBoolean("add_eos_token", false);
            w.WriteStartObject("added_tokens_decoder");
            for (int id = 0; id < ControlPieces.Count; id++)
            {
                w.WriteStartObject(id.ToString(CultureInfo.InvariantCulture));
                w.WriteString("content", ControlPieces[id]);
                w.WriteBoolean("lstrip", false);
                w.WriteBoolean("normalized", false);
                w.WriteBoolean("rstrip", false);
                w.WriteBoolean("single_word", false);
                w.WriteBoolean("special", true);
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteString("bos_token", ControlPieces[1]);
            w.WriteString("eos_token", ControlPieces[2]);
            w.WriteString("unk_token", ControlPieces[0]);
            w.WriteNull("pad_token");
            w.WriteBoolean("clean_up_tokenization_spaces", false);
            // The normalizer above prepends '▁' to every segment, which transformers calls legacy behaviour.
            w.WriteBoolean("legacy", true);
            if (modelMaxLength is int max) w.WriteNumber("model_max_length", max);
            w.WriteStartObject("sp_model_kwargs");
            w.WriteEndObject();
            w.WriteString("tokenizer_class", "LlamaTokenizer");
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    static readonly JsonWriterOptions WriterOptions = new()
    {
        Indented = true,
        // Keep pieces readable (raw UTF-8, like Hugging Face's files); escaping would be valid too.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    static void WriteReplace(Utf8JsonWriter w, string pattern, string content)
    {
        w.WriteStartObject();
        w.WriteString("type", "Replace");
        w.WriteStartObject("pattern"); w.WriteString("String", pattern); w.WriteEndObject();
        w.WriteString("content", content);
        w.WriteEndObject();
    }

    /// <summary>TemplateProcessing that puts BOS before each sequence, as in LLaMA-2's tokenizer.json.</summary>
    static void WritePostProcessor(Utf8JsonWriter w)
    {
        string bos = ControlPieces[1];
        void Special(int typeId) { w.WriteStartObject(); w.WriteStartObject("SpecialToken"); w.WriteString("id", bos); w.WriteNumber("type_id", typeId); w.WriteEndObject(); w.WriteEndObject(); }
        void Sequence(string id, int typeId) { w.WriteStartObject(); w.WriteStartObject("Sequence"); w.WriteString("id", id); w.WriteNumber("type_id", typeId); w.WriteEndObject(); w.WriteEndObject(); }

        w.WriteStartObject("post_processor");
        w.WriteString("type", "TemplateProcessing");
        w.WriteStartArray("single"); Special(0); Sequence("A", 0); w.WriteEndArray();
        w.WriteStartArray("pair"); Special(0); Sequence("A", 0); Special(1); Sequence("B", 1); w.WriteEndArray();
        w.WriteStartObject("special_tokens");
        w.WriteStartObject(bos);
        w.WriteString("id", bos);
        w.WriteStartArray("ids"); w.WriteNumberValue(1); w.WriteEndArray();
        w.WriteStartArray("tokens"); w.WriteStringValue(bos); w.WriteEndArray();
        w.WriteEndObject();
        w.WriteEndObject();
        w.WriteEndObject();
    }

    static void Validate(IReadOnlyList<string> pieces, IReadOnlyList<float> scores)
    {
        if (pieces.Count != scores.Count) throw new ArgumentException($"{pieces.Count} pieces but {scores.Count} scores");
        for (int id = 0; id < ControlPieces.Count; id++)
            if (pieces.Count <= id || pieces[id] != ControlPieces[id])
                throw new ArgumentException($"piece {id} must be '{ControlPieces[id]}' (LLaMA's <unk>, <s>, </s> at ids 0, 1, 2), got '{(pieces.Count > id ? pieces[id] : "<missing>")}'");
        IdsOf(pieces); // throws on duplicates, which a JSON vocab cannot hold
    }

    static Dictionary<string, int> IdsOf(IReadOnlyList<string> pieces)
    {
        var ids = new Dictionary<string, int>(pieces.Count, StringComparer.Ordinal);
        for (int id = 0; id < pieces.Count; id++)
            if (!ids.TryAdd(pieces[id], id))
                throw new ArgumentException($"piece '{pieces[id]}' appears twice (ids {ids[pieces[id]]} and {id}); a tokenizer.json vocab needs unique pieces");
        return ids;
    }

    static bool IsBytePiece(string piece) =>
        piece.Length == 6 && piece.StartsWith("<0x", StringComparison.Ordinal) && piece[5] == '>' && Uri.IsHexDigit(piece[3]) && Uri.IsHexDigit(piece[4]);
}
