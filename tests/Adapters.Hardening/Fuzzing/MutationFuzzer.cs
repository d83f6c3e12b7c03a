using System.Buffers.Binary;
using System.Text;

namespace Adapters.Hardening.Fuzzing;

/// <summary>
/// Seeded mutations of a valid file, as a hostile writer or a damaged disk makes them: bit flips,
/// boundary integers written over binary fields (lengths, offsets, counts), bytes inserted,
/// deleted, duplicated, truncated, chunks spliced from other seeds, and — for JSON — numbers and
/// strings replaced by boundary values, other types and hostile names. 1 to 4 mutations stack per input.
/// The same seed gives the same inputs, so any finding replays.
/// </summary>
public sealed class MutationFuzzer(int seed)
{
    readonly Random _rng = new(seed);

    static readonly byte[] InterestingBytes = [0, 1, 0x7F, 0x80, 0xFF, (byte)'"', (byte)'{', (byte)'}', (byte)'[', (byte)']', (byte)',', (byte)':', (byte)'0', (byte)'9', (byte)'-', (byte)'\\'];

    static readonly long[] InterestingIntegers =
        [0, 1, -1, 2, 7, 8, 255, 256, 4096, int.MaxValue, int.MinValue, (long)int.MaxValue + 1, uint.MaxValue, long.MaxValue, long.MinValue, 1L << 40];

    static readonly string[] JsonValues =
        ["0", "-1", "1", "3", "2147483647", "2147483648", "-2147483649", "9223372036854775808", "1e309", "-0", "0.5", "NaN", "null", "true", "false",
         "[]", "{}", "[null]", "\"\"", "\"x\"", "[0, 0]", "[1, 2147483647]", "[-1, 5]", "{\"a\": {}}", "\"\\ud800\""];

    static readonly string[] JsonStrings =
        ["", "lora", "loreft", "direft", "gmt", "evil", "../x", "/etc/passwd", "a/b", "..", ".", "F32", "F16", "BF16", "I64", "U8", "F64", "LORA",
         "q_proj", "lm_head", ".*", "(", "all-linear", "f3+l3", "f99999999999", "none", "all", "adapter.safetensors", "\u202E", "x\u0000y",
         "model.layers.0.self_attn.q_proj.lora_A.weight", "base_model.model.model.layers.0.self_attn.q_proj.lora_A.weight"];

    public byte[] Mutate(byte[] input, IReadOnlyList<byte[]> corpus)
    {
        var bytes = new List<byte>(input);
        int count = 1 + _rng.Next(4);
        for (int i = 0; i < count; i++) MutateOnce(bytes, corpus);
        return [.. bytes];
    }

    void MutateOnce(List<byte> b, IReadOnlyList<byte[]> corpus)
    {
        bool json = LooksLikeJson(b);
        switch (_rng.Next(json ? 11 : 8))
        {
            case 0 when b.Count > 0:
                b[_rng.Next(b.Count)] ^= (byte)(1 << _rng.Next(8));
                break;
            case 1 when b.Count > 0:
                b[_rng.Next(b.Count)] = InterestingBytes[_rng.Next(InterestingBytes.Length)];
                break;
            case 2 when b.Count >= 8:
                WriteInteger(b, _rng.Next(b.Count - 3), _rng.Next(2) == 0 ? 4 : 8);
                break;
            case 3 when b.Count > 1:
                {
                    int at = _rng.Next(b.Count), length = Math.Min(b.Count - at, 1 + _rng.Next(Math.Max(1, b.Count / 8)));
                    b.RemoveRange(at, length);
                    break;
                }
            case 4:
                {
                    int at = _rng.Next(b.Count + 1), length = 1 + _rng.Next(16);
                    b.InsertRange(at, Enumerable.Range(0, length).Select(_ => (byte)_rng.Next(256)));
                    break;
                }
            case 5 when b.Count > 1:
                {
                    int from = _rng.Next(b.Count), length = Math.Min(b.Count - from, 1 + _rng.Next(64));
                    b.InsertRange(_rng.Next(b.Count + 1), b.GetRange(from, length));
                    break;
                }
            case 6 when b.Count > 0:
                {
                    int at = _rng.Next(b.Count);
                    b.RemoveRange(at, b.Count - at);
                    break;
                }
            case 7 when corpus.Count > 0:
                {
                    var other = corpus[_rng.Next(corpus.Count)];
                    if (other.Length == 0) break;
                    int from = _rng.Next(other.Length), length = Math.Min(other.Length - from, 1 + _rng.Next(256));
                    int at = _rng.Next(b.Count + 1);
                    b.RemoveRange(at, Math.Min(length, b.Count - at));
                    b.InsertRange(at, other.AsSpan(from, length).ToArray());
                    break;
                }
            case 8: ReplaceJsonToken(b, number: true); break;
            case 9: ReplaceJsonToken(b, number: false); break;
            case 10: DuplicateJsonField(b); break;
            default:
                if (b.Count > 0) b[_rng.Next(b.Count)] = (byte)_rng.Next(256);
                break;
        }
    }

    void WriteInteger(List<byte> b, int at, int width)
    {
        long value = _rng.Next(3) == 0 ? _rng.NextInt64(-1000, 100_000) : InterestingIntegers[_rng.Next(InterestingIntegers.Length)];
        Span<byte> raw = stackalloc byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(raw, value);
        for (int i = 0; i < width && at + i < b.Count; i++) b[at + i] = raw[i];
    }

    static bool LooksLikeJson(List<byte> b) => b.Count > 0 && b.Take(64).Any(c => c == '{');

    /// <summary>Replaces one number (or one quoted string) of the text by a boundary value of any type (or a hostile string).</summary>
    void ReplaceJsonToken(List<byte> b, bool number)
    {
        string text = Encoding.Latin1.GetString([.. b]);
        var spans = new List<(int Start, int Length)>();
        for (int i = 0; i < text.Length; i++)
        {
            if (number && (char.IsAsciiDigit(text[i]) || text[i] == '-') && (i == 0 || !char.IsAsciiLetterOrDigit(text[i - 1])))
            {
                int j = i + 1;
                while (j < text.Length && (char.IsAsciiDigit(text[j]) || text[j] is '.' or 'e' or 'E' or '+' or '-')) j++;
                spans.Add((i, j - i));
                i = j;
            }
            else if (!number && text[i] == '"')
            {
                int j = text.IndexOf('"', i + 1);
                if (j < 0) break;
                spans.Add((i, j - i + 1));
                i = j;
            }
        }
        if (spans.Count == 0) return;
        var (start, length) = spans[_rng.Next(spans.Count)];
        string replacement = number || _rng.Next(3) == 0
            ? JsonValues[_rng.Next(JsonValues.Length)]
            : System.Text.Json.JsonSerializer.Serialize(JsonStrings[_rng.Next(JsonStrings.Length)]);
        b.RemoveRange(start, length);
        b.InsertRange(start, Encoding.UTF8.GetBytes(replacement));
    }

    /// <summary>Writes one "name": value pair a second time right after an opening brace.</summary>
    void DuplicateJsonField(List<byte> b)
    {
        string text = Encoding.Latin1.GetString([.. b]);
        int brace = text.IndexOf('{', _rng.Next(Math.Max(1, text.Length)));
        if (brace < 0) brace = text.IndexOf('{');
        if (brace < 0) return;
        var field = System.Text.Json.JsonSerializer.Serialize(JsonStrings[_rng.Next(JsonStrings.Length)]);
        string pair = $"{field}: {JsonValues[_rng.Next(JsonValues.Length)]}, {field}: {JsonValues[_rng.Next(JsonValues.Length)]}, ";
        b.InsertRange(brace + 1, Encoding.UTF8.GetBytes(pair));
    }
}
