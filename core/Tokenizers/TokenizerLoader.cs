using Adapters.Core.IO;
using System.Buffers.Binary;
using Adapters.Core.Checkpoints;
using Adapters.Core.Model;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// Opens a tokenizer file of any supported kind (SentencePiece tokenizer.model, llama2.c
/// tokenizer.bin, Hugging Face tokenizer.json), recognised by its content (not its name), and turns
/// every way it can be wrong into one <see cref="InvalidFileException"/> naming the file.
/// </summary>
public static class TokenizerLoader
{
    /// <summary>Bytes read to recognise a format: enough for a llama2.c header and a safetensors length.</summary>
    const int HeadBytes = 64;

    /// <summary>
    /// Loads <paramref name="path"/> (a tokenizer file, or a folder holding tokenizer.json,
    /// tokenizer.model or tokenizer.bin, looked for in that order: a folder with both tokenizer.json
    /// and tokenizer.model uses tokenizer.json, as Hugging Face's fast tokenizers do).
    /// <paramref name="expectedVocabSize"/> is the model's vocab_size: llama2.c and SentencePiece
    /// files then hold exactly that many tokens (run.c reads that many); a tokenizer.json may have
    /// fewer (models pad their embedding) but never more.
    /// </summary>
    /// <exception cref="InvalidFileException">Missing file, another format, truncated file or vocabulary size mismatch.</exception>
    public static ITokenizer Load(string path, int? expectedVocabSize = null)
    {
        string file = ResolveFile(path);
        return DetectKind(file) switch
        {
            TokenizerKind.Llama2c => Llama2cTokenizer.Load(file, expectedVocabSize),
            TokenizerKind.SentencePiece => SentencePieceTokenizer.Load(file, expectedVocabSize),
            TokenizerKind.HuggingFace => HfTokenizer.Load(file, expectedVocabSize),
            var kind => throw new InvalidFileException(file, $"unsupported tokenizer kind {kind}"),
        };
    }

    /// <summary>Recognises the format from the first bytes; formats that are clearly not tokenizers are named.</summary>
    /// <exception cref="InvalidFileException">The file is missing or is not a tokenizer.</exception>
    public static TokenizerKind DetectKind(string path)
    {
        if (Directory.Exists(path))
            throw new InvalidFileException(path, $"is a folder; expected a tokenizer file ({KnownFileNames})");
        if (!File.Exists(path)) throw new InvalidFileException(path, "tokenizer file not found");
        long length = new FileInfo(path).Length;
        if (length == 0) throw new InvalidFileException(path, "tokenizer file is empty");
        byte[] head = new byte[(int)Math.Min(length, HeadBytes)];
        using (var stream = File.OpenRead(path)) stream.ReadExactly(head);

        if (SentencePieceModelProto.LooksLikeModel(head)) return TokenizerKind.SentencePiece;
        if (LooksLikeJson(head)) return TokenizerKind.HuggingFace;
        string? other = OtherFormat(head, length);
        if (other != null) throw new InvalidFileException(path, $"this is {other}, not a tokenizer; expected a Hugging Face tokenizer.json, a SentencePiece tokenizer.model or a llama2.c tokenizer.bin");
        if (length >= sizeof(int))
        {
            int maxTokenLength = BinaryPrimitives.ReadInt32LittleEndian(head);
            if (maxTokenLength is > 0 and <= Llama2cTokenizerFile.MaxPlausibleTokenLength) return TokenizerKind.Llama2c;
        }
        throw new InvalidFileException(path,
            $"not a tokenizer: neither a Hugging Face tokenizer.json, a SentencePiece model nor a llama2.c tokenizer.bin (first bytes {Convert.ToHexString(head.AsSpan(0, Math.Min(head.Length, 8)))})");
    }

    /// <summary>The string a manifest records for a kind: "llama2c" or "sentencepiece".</summary>
    public static string ManifestName(TokenizerKind kind) => kind switch
    {
        TokenizerKind.Llama2c => "llama2c",
        TokenizerKind.SentencePiece => "sentencepiece",
        TokenizerKind.HuggingFace => "huggingface",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown tokenizer kind"),
    };

    /// <summary>Inverse of <see cref="ManifestName"/>; the error lists the known names.</summary>
    public static TokenizerKind ParseManifestName(string name)
    {
        foreach (var kind in Enum.GetValues<TokenizerKind>())
            if (ManifestName(kind) == name) return kind;
        throw new ArgumentException($"unknown tokenizer kind '{name}'; known kinds: {string.Join(", ", Enum.GetValues<TokenizerKind>().Select(ManifestName))}");
    }

    /// <summary>The conventional file name of a kind, used when copying a tokenizer into a folder.</summary>
    public static string DefaultFileName(TokenizerKind kind) => kind switch
    {
        TokenizerKind.Llama2c => "tokenizer.bin",
        TokenizerKind.SentencePiece => "tokenizer.model",
        TokenizerKind.HuggingFace => HfTokenizer.FileName,
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown tokenizer kind"),
    };

    /// <summary>The tokenizer file a path names: the path itself, or in a folder the preferred one (tokenizer.json first, as Hugging Face's fast tokenizers do).</summary>
    public static string ResolveFile(string path)
    {
        if (!Directory.Exists(path)) return path;
        foreach (var kind in FolderPreference)
        {
            string candidate = Path.Combine(path, DefaultFileName(kind));
            if (File.Exists(candidate)) return candidate;
        }
        throw new InvalidFileException(path, $"folder has no tokenizer ({KnownFileNames})");
    }

    /// <summary>The order a folder is searched in: tokenizer.json first, as Hugging Face's fast tokenizers prefer it.</summary>
    public static readonly IReadOnlyList<TokenizerKind> FolderPreference = [TokenizerKind.HuggingFace, TokenizerKind.SentencePiece, TokenizerKind.Llama2c];

    static string KnownFileNames => string.Join(", ", FolderPreference.Select(DefaultFileName));

    /// <summary>A JSON object: '{' then '"' or '}' (whitespace and a UTF-8 BOM allowed), which no llama2.c header starts with.</summary>
    static bool LooksLikeJson(byte[] head)
    {
        int i = head.Length >= 3 && head[0] == 0xEF && head[1] == 0xBB && head[2] == 0xBF ? 3 : 0;
        static bool Space(byte b) => b is (byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n';
        while (i < head.Length && Space(head[i])) i++;
        if (i >= head.Length || head[i] != (byte)'{') return false;
        i++;
        while (i < head.Length && Space(head[i])) i++;
        return i >= head.Length || head[i] is (byte)'"' or (byte)'}';
    }

    /// <summary>Names formats that a user may pass by mistake (model weights, a JSON array), or null.</summary>
    static string? OtherFormat(byte[] head, long length)
    {
        if (LooksLikeLlama2cCheckpoint(head, length, out string? shape)) return $"a llama2.c model checkpoint ({shape})";
        if (head.Length >= 9)
        {
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(head);
            if (headerLength > 0 && headerLength <= (ulong)(length - 8) && head[8] == (byte)'{') return "a safetensors file";
        }
        int first = Array.FindIndex(head, b => b is not ((byte)' ' or (byte)'\t' or (byte)'\r' or (byte)'\n'));
        if (first >= 0 && head[first] == (byte)'[') return "a JSON array, not a Hugging Face tokenizer.json object";
        return null;
    }

    /// <summary>A plausible llama2.c header whose implied size is exactly the file size.</summary>
    static bool LooksLikeLlama2cCheckpoint(byte[] head, long length, out string? shape)
    {
        shape = null;
        const int headerInts = 7;
        if (head.Length < headerInts * sizeof(int)) return false;
        var h = new int[headerInts];
        for (int i = 0; i < headerInts; i++) h[i] = BinaryPrimitives.ReadInt32LittleEndian(head.AsSpan(i * sizeof(int)));
        if (h[0] <= 0 || h[1] <= 0 || h[2] <= 0 || h[3] <= 0 || h[4] <= 0 || h[5] == 0 || h[6] <= 0) return false;
        try
        {
            var config = new LlamaConfig
            {
                Dim = h[0], HiddenDim = h[1], NumLayers = h[2], NumHeads = h[3], NumKvHeads = h[4],
                VocabSize = Math.Abs(h[5]), MaxSeqLen = h[6], SharedClassifier = h[5] > 0,
            }.Validate();
            if (Llama2cCheckpoint.ExpectedFileSize(config) != length) return false;
            shape = $"dim {config.Dim}, {config.NumLayers} layers, vocab {config.VocabSize}";
            return true;
        }
        catch (ArgumentException) { return false; }
    }
}
