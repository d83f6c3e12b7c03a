using System.Text;
using Adapters.TestSupport;

namespace Adapters.Runtime.Tests;

/// <summary>
/// Just enough of llama2.c's tokenizer to turn stories260K's ids into text for one check:
/// pieces are read from tok512.bin and joined, byte tokens (&lt;0xNN&gt;) become bytes, and the
/// leading space of the first piece after BOS is dropped, as run.c does.
/// </summary>
public static class Tok512
{
    const int BosId = 1;

    static readonly Lazy<string[]> Pieces = new(() =>
    {
        using var reader = new BinaryReader(File.OpenRead(SharedModels.Tok512));
        reader.ReadInt32(); // max token length
        var pieces = new List<string>();
        while (reader.BaseStream.Position < reader.BaseStream.Length)
        {
            reader.ReadSingle(); // merge score
            pieces.Add(Encoding.UTF8.GetString(reader.ReadBytes(reader.ReadInt32())));
        }
        return pieces.ToArray();
    });

    public static string Decode(IEnumerable<int> ids, bool afterBos = true)
    {
        var bytes = new List<byte>();
        int previous = afterBos ? BosId : -1;
        foreach (int id in ids)
        {
            string piece = Pieces.Value[id];
            if (previous == BosId && piece.StartsWith(' ')) piece = piece[1..];
            if (piece.Length == 6 && piece.StartsWith("<0x") && piece.EndsWith('>')) bytes.Add(Convert.ToByte(piece[3..5], 16));
            else bytes.AddRange(Encoding.UTF8.GetBytes(piece));
            previous = id;
        }
        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
