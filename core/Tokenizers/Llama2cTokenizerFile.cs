using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using Adapters.Core.IO;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// llama2.c's tokenizer.bin: int32 max_token_length, then per token float32 score, int32 byte
/// length and the UTF-8 bytes, all little-endian. The file does not store the vocabulary size:
/// run.c takes it from the model header; here it may also be inferred from the file length.
/// </summary>
internal static class Llama2cTokenizerFile
{
    const int HeaderBytes = sizeof(int);
    const int RecordHeaderBytes = sizeof(float) + sizeof(int);

    /// <summary>
    /// Longest token we accept. SentencePiece caps pieces at 16 characters by default (64 bytes of
    /// UTF-8); the cap only exists so that a file of another format fails at its first bytes.
    /// </summary>
    public const int MaxPlausibleTokenLength = 1 << 16;

    static readonly UTF8Encoding Strict = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    public static (string[] Pieces, float[] Scores, int MaxTokenLength) Read(string path, int? expectedVocabSize)
    {
        if (expectedVocabSize is <= 0)
            throw new ArgumentOutOfRangeException(nameof(expectedVocabSize), $"expected vocab size must be positive, got {expectedVocabSize}");
        using var file = Open(path);
        long length = file.Length;
        if (length < HeaderBytes)
            throw new InvalidFileException(path, $"file is {length} bytes, shorter than the 4-byte max_token_length header of a llama2.c tokenizer.bin (truncated?)");

        var reader = new BufferedStream(file, 1 << 16);
        Span<byte> head = stackalloc byte[RecordHeaderBytes];
        reader.ReadExactly(head[..HeaderBytes]);
        int maxTokenLength = BinaryPrimitives.ReadInt32LittleEndian(head);
        if (maxTokenLength <= 0 || maxTokenLength > MaxPlausibleTokenLength)
            throw new InvalidFileException(path, $"max_token_length is {maxTokenLength}, expected 1..{MaxPlausibleTokenLength}; not a llama2.c tokenizer.bin?");

        var pieces = new List<string>(expectedVocabSize ?? 1024);
        var scores = new List<float>(expectedVocabSize ?? 1024);
        long offset = HeaderBytes;
        var buffer = new byte[maxTokenLength];
        string ofExpected = expectedVocabSize is int n ? $" of {n}" : "";
        while (offset < length && (expectedVocabSize == null || pieces.Count < expectedVocabSize))
        {
            int index = pieces.Count;
            if (length - offset < RecordHeaderBytes)
                throw Truncated(path, $"token {index}{ofExpected} needs an 8-byte score/length header at byte {Size(offset)} but only {length - offset} bytes remain", length, offset + RecordHeaderBytes);
            reader.ReadExactly(head);
            float score = BinaryPrimitives.ReadSingleLittleEndian(head);
            int byteCount = BinaryPrimitives.ReadInt32LittleEndian(head[sizeof(float)..]);
            if (!float.IsFinite(score))
                throw new InvalidFileException(path, $"token {index} has score {score} at byte {Size(offset)}; not a llama2.c tokenizer.bin?");
            if (byteCount <= 0 || byteCount > maxTokenLength)
                throw new InvalidFileException(path, $"token {index} has length {byteCount} at byte {Size(offset + sizeof(float))}, outside 1..max_token_length {maxTokenLength}; not a llama2.c tokenizer.bin?");
            offset += RecordHeaderBytes;
            if (length - offset < byteCount)
                throw Truncated(path, $"token {index}{ofExpected} needs {byteCount} bytes at byte {Size(offset)} but only {length - offset} remain", length, offset + byteCount);
            reader.ReadExactly(buffer.AsSpan(0, byteCount));
            offset += byteCount;
            try { pieces.Add(Strict.GetString(buffer, 0, byteCount)); }
            catch (DecoderFallbackException)
            { throw new InvalidFileException(path, $"token {index} is not valid UTF-8; not a llama2.c tokenizer.bin?"); }
            scores.Add(score);
        }

        if (expectedVocabSize is int expected)
        {
            if (pieces.Count < expected)
                throw new InvalidFileException(path, $"vocab size mismatch: the tokenizer holds {pieces.Count} tokens but the model's vocab_size is {expected} (another vocabulary, or a file cut short)");
            if (offset < length)
            {
                int total = CountRemaining(reader, length - offset, maxTokenLength) is int more ? expected + more : -1;
                throw new InvalidFileException(path, total > 0
                    ? $"vocab size mismatch: the tokenizer holds {total} tokens but the model's vocab_size is {expected}"
                    : $"vocab size mismatch: {Size(length - offset)} bytes remain after the model's vocab_size of {expected} tokens");
            }
        }
        return (pieces.ToArray(), scores.ToArray(), maxTokenLength);
    }

    public static void Write(string path, IReadOnlyList<string> pieces, IReadOnlyList<float> scores, int maxTokenLength) =>
        AtomicFile.Write(path, stream =>
        {
            Span<byte> head = stackalloc byte[RecordHeaderBytes];
            BinaryPrimitives.WriteInt32LittleEndian(head, maxTokenLength);
            stream.Write(head[..HeaderBytes]);
            for (int i = 0; i < pieces.Count; i++)
            {
                byte[] bytes = Encoding.UTF8.GetBytes(pieces[i]);
                BinaryPrimitives.WriteSingleLittleEndian(head, scores[i]);
                BinaryPrimitives.WriteInt32LittleEndian(head[sizeof(float)..], bytes.Length);
                stream.Write(head);
                stream.Write(bytes);
            }
        });

    /// <summary>Counts whole token records in the rest of the file, or null when they do not parse.</summary>
    static int? CountRemaining(Stream reader, long remaining, int maxTokenLength)
    {
        Span<byte> head = stackalloc byte[RecordHeaderBytes];
        int count = 0;
        while (remaining > 0)
        {
            if (remaining < RecordHeaderBytes) return null;
            reader.ReadExactly(head);
            int byteCount = BinaryPrimitives.ReadInt32LittleEndian(head[sizeof(float)..]);
            remaining -= RecordHeaderBytes;
            if (byteCount <= 0 || byteCount > maxTokenLength || byteCount > remaining) return null;
            reader.Seek(byteCount, SeekOrigin.Current);
            remaining -= byteCount;
            count++;
        }
        return count;
    }

    static InvalidFileException Truncated(string path, string detail, long actual, long needed) =>
        new(path, $"truncated llama2.c tokenizer.bin: {detail} (file is {Size(actual)} bytes, needs at least {Size(needed)})");

    static string Size(long bytes) => bytes.ToString("N0", CultureInfo.InvariantCulture);

    static FileStream Open(string path)
    {
        try { return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read); }
        catch (FileNotFoundException) { throw new InvalidFileException(path, "tokenizer file not found"); }
        catch (DirectoryNotFoundException) { throw new InvalidFileException(path, "tokenizer file not found"); }
    }
}
