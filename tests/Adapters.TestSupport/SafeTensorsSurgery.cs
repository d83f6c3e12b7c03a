using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;

namespace Adapters.TestSupport;

/// <summary>Edits the JSON header of a .safetensors file in place, as a hostile writer would (the data bytes stay as they are).</summary>
public static class SafeTensorsSurgery
{
    public static void EditHeader(string path, Action<JsonObject> edit, int appendBytes = 0)
    {
        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(bytes.AsSpan(8, (int)headerLength))!.AsObject();
        byte[] data = bytes[(8 + (int)headerLength)..];
        edit(header);
        byte[] json = Encoding.UTF8.GetBytes(header.ToJsonString());
        int padded = (json.Length + 7) / 8 * 8;
        using var file = new FileStream(path, FileMode.Create, FileAccess.Write);
        Span<byte> length = stackalloc byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)padded);
        file.Write(length);
        file.Write(json);
        for (int i = json.Length; i < padded; i++) file.WriteByte((byte)' ');
        file.Write(data);
        file.Write(new byte[appendBytes]);
    }

    /// <summary>Names of the tensors in the header, sorted by their data offset.</summary>
    public static List<string> TensorsByOffset(JsonObject header) =>
        header.Where(kv => kv.Key != "__metadata__")
            .OrderBy(kv => kv.Value!["data_offsets"]![0]!.GetValue<long>())
            .Select(kv => kv.Key).ToList();

    /// <summary>Rewrites a JSON file through an edit of its root object.</summary>
    public static void EditJson(string path, Action<JsonObject> edit)
    {
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(json);
        File.WriteAllText(path, json.ToJsonString());
    }
}
