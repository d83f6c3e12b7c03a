using Adapters.Core.IO;
using System.Buffers.Binary;
using System.Text;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// Minimal reader for SentencePiece's ModelProto (sentencepiece_model.proto): just the pieces
/// (field 1: piece string, score float, type enum) and TrainerSpec.model_type. Microsoft.ML.Tokenizers
/// does not expose scores, which the Hugging Face export needs, and a hand-written reader lets
/// us name exactly what is wrong with a file that is not a SentencePiece model.
/// </summary>
internal static class SentencePieceModelProto
{
    /// <summary>SentencePiece.Type values from sentencepiece_model.proto.</summary>
    public enum PieceType { Normal = 1, Unknown = 2, Control = 3, UserDefined = 4, Unused = 5, Byte = 6 }

    /// <summary>TrainerSpec.ModelType values from sentencepiece_model.proto.</summary>
    public enum ModelType { Unigram = 1, Bpe = 2, Word = 3, Char = 4 }

    public sealed record Piece(string Text, float Score, PieceType Type);

    /// <param name="HasTrainerSpec">False when the file ends before its trainer_spec (SentencePiece always writes one).</param>
    public sealed record Model(IReadOnlyList<Piece> Pieces, ModelType Type, bool HasTrainerSpec);

    const int LengthDelimited = 2, Varint = 0, Fixed64 = 1, Fixed32 = 5;
    const int PiecesField = 1, TrainerSpecField = 2;
    const int PieceTextField = 1, PieceScoreField = 2, PieceTypeField = 3;
    const int TrainerModelTypeField = 3;

    /// <summary>
    /// Cheap content check: a ModelProto starts with field 1 (a length-delimited piece) whose
    /// first field is again field 1 (the piece text). Tag byte 0x0A = field 1, wire type 2.
    /// </summary>
    public static bool LooksLikeModel(ReadOnlySpan<byte> head)
    {
        if (head.Length < 3 || head[0] != 0x0A) return false;
        int pos = 1;
        if (!TryReadVarint(head, ref pos, out ulong length) || length == 0) return false;
        return pos < head.Length && head[pos] == 0x0A;
    }

    /// <exception cref="InvalidFileException">The bytes are not a well-formed ModelProto.</exception>
    public static Model Parse(string path, ReadOnlySpan<byte> data)
    {
        var pieces = new List<Piece>();
        var modelType = ModelType.Unigram; // the proto's default
        bool hasTrainerSpec = false;
        int pos = 0;
        while (pos < data.Length)
        {
            var (field, wire) = ReadTag(path, data, ref pos);
            if (field == PiecesField && wire == LengthDelimited)
                pieces.Add(ParsePiece(path, ReadBytes(path, data, ref pos), pieces.Count));
            else if (field == TrainerSpecField && wire == LengthDelimited)
            {
                modelType = ParseModelType(path, ReadBytes(path, data, ref pos), modelType);
                hasTrainerSpec = true;
            }
            else
                Skip(path, data, ref pos, wire);
        }
        if (pieces.Count == 0) throw new InvalidFileException(path, "SentencePiece model has no pieces");
        return new Model(pieces, modelType, hasTrainerSpec);
    }

    static Piece ParsePiece(string path, ReadOnlySpan<byte> data, int index)
    {
        string? text = null;
        float score = 0;
        var type = PieceType.Normal;
        int pos = 0;
        while (pos < data.Length)
        {
            var (field, wire) = ReadTag(path, data, ref pos);
            if (field == PieceTextField && wire == LengthDelimited)
            {
                var bytes = ReadBytes(path, data, ref pos);
                try { text = Strict.GetString(bytes); }
                catch (DecoderFallbackException) { throw Malformed(path, $"piece {index} is not valid UTF-8"); }
            }
            else if (field == PieceScoreField && wire == Fixed32)
            {
                if (pos + 4 > data.Length) throw Malformed(path, $"piece {index} ends inside its score");
                score = BinaryPrimitives.ReadSingleLittleEndian(data[pos..]);
                pos += 4;
            }
            else if (field == PieceTypeField && wire == Varint)
                type = (PieceType)ReadVarint(path, data, ref pos);
            else
                Skip(path, data, ref pos, wire);
        }
        if (text == null) throw Malformed(path, $"piece {index} has no text");
        return new Piece(text, score, type);
    }

    static ModelType ParseModelType(string path, ReadOnlySpan<byte> data, ModelType fallback)
    {
        int pos = 0;
        var result = fallback;
        while (pos < data.Length)
        {
            var (field, wire) = ReadTag(path, data, ref pos);
            if (field == TrainerModelTypeField && wire == Varint) result = (ModelType)ReadVarint(path, data, ref pos);
            else Skip(path, data, ref pos, wire);
        }
        return result;
    }

    static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    static (int Field, int Wire) ReadTag(string path, ReadOnlySpan<byte> data, ref int pos)
    {
        ulong tag = ReadVarint(path, data, ref pos);
        int field = (int)(tag >> 3), wire = (int)(tag & 7);
        if (field == 0) throw Malformed(path, $"field number 0 at byte {pos}");
        return (field, wire);
    }

    static ReadOnlySpan<byte> ReadBytes(string path, ReadOnlySpan<byte> data, ref int pos)
    {
        ulong length = ReadVarint(path, data, ref pos);
        if (length > (ulong)(data.Length - pos))
            throw Malformed(path, $"a field of {length} bytes at byte {pos} runs past the end ({data.Length - pos} bytes left; truncated?)");
        var slice = data.Slice(pos, (int)length);
        pos += (int)length;
        return slice;
    }

    static void Skip(string path, ReadOnlySpan<byte> data, ref int pos, int wire)
    {
        switch (wire)
        {
            case Varint: ReadVarint(path, data, ref pos); break;
            case LengthDelimited: ReadBytes(path, data, ref pos); break;
            case Fixed64: Advance(path, data, ref pos, 8); break;
            case Fixed32: Advance(path, data, ref pos, 4); break;
            default: throw Malformed(path, $"unsupported protobuf wire type {wire} at byte {pos}");
        }
    }

    static void Advance(string path, ReadOnlySpan<byte> data, ref int pos, int count)
    {
        if (pos + count > data.Length) throw Malformed(path, $"field at byte {pos} runs past the end (truncated?)");
        pos += count;
    }

    static ulong ReadVarint(string path, ReadOnlySpan<byte> data, ref int pos) =>
        TryReadVarint(data, ref pos, out ulong value) ? value : throw Malformed(path, $"bad varint at byte {pos} (truncated?)");

    static bool TryReadVarint(ReadOnlySpan<byte> data, ref int pos, out ulong value)
    {
        value = 0;
        for (int shift = 0; shift < 64; shift += 7)
        {
            if (pos >= data.Length) return false;
            byte b = data[pos++];
            value |= (ulong)(b & 0x7F) << shift;
            if (b < 0x80) return true;
        }
        return false;
    }

    static InvalidFileException Malformed(string path, string problem) =>
        new(path, $"not a valid SentencePiece model: {problem}");
}
