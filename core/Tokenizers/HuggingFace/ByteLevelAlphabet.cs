using System.Text;

namespace Adapters.Core.Tokenizers;

/// <summary>
/// GPT-2's bytes_to_unicode: each byte as a printable character (printable Latin-1 bytes stand
/// for themselves, the other 68 bytes for U+0100 upward, so a space is 'Ġ' and a newline 'Ċ').
/// Byte-level vocabularies (Llama 3, Qwen) are spelled in this alphabet.
/// </summary>
internal static class ByteLevelAlphabet
{
    public static readonly char[] CharOfByte = Build();
    static readonly Dictionary<char, byte> ByteOfChar = Enumerable.Range(0, 256).ToDictionary(b => CharOfByte[b], b => (byte)b);

    static char[] Build()
    {
        var chars = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            chars[b] = printable ? (char)b : (char)next++;
        }
        return chars;
    }

    /// <summary>The UTF-8 bytes of <paramref name="text"/>, each spelled as its character.</summary>
    public static string Encode(string text)
    {
        byte[] bytes = Encoding.UTF8.GetBytes(text);
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = CharOfByte[bytes[i]];
        return new string(chars);
    }

    /// <summary>
    /// Adds the bytes of a byte-level token; false (adding nothing) when a character is outside the
    /// alphabet, so the caller can keep the token as written.
    /// </summary>
    public static bool TryAppendBytes(string token, List<byte> bytes)
    {
        int start = bytes.Count;
        foreach (char c in token)
        {
            if (!ByteOfChar.TryGetValue(c, out byte b)) { bytes.RemoveRange(start, bytes.Count - start); return false; }
            bytes.Add(b);
        }
        return true;
    }
}
