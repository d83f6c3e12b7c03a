using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Adapters.Router.Routing;

/// <summary>
/// A consistent-hash ring over replica ids: each replica owns <see cref="VirtualNodes"/> points, a
/// key (a model name) belongs to the first point clockwise from its own hash. Adding or removing
/// one replica moves only the keys whose points it owned, so a replica that leaves rehashes its
/// adapters and nobody else's. Immutable; build a new ring when the replica set changes.
/// </summary>
public sealed class HashRing
{
    /// <summary>Points per replica: with 3 replicas the largest share stays within a few percent of a third.</summary>
    public const int VirtualNodes = 160;

    readonly ulong[] _points;
    readonly string[] _owners; // owner of _points[i]

    public HashRing(IEnumerable<string> members)
    {
        Members = members.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var points = new List<(ulong Point, string Owner)>(Members.Count * VirtualNodes);
        foreach (string member in Members)
            for (int v = 0; v < VirtualNodes; v++) points.Add((Hash($"{member}#{v}"), member));
        points.Sort((a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : string.CompareOrdinal(a.Owner, b.Owner));
        _points = points.Select(p => p.Point).ToArray();
        _owners = points.Select(p => p.Owner).ToArray();
    }

    public IReadOnlyList<string> Members { get; }

    /// <summary>
    /// Every member once, in ring order from <paramref name="key"/>'s position: the first is the
    /// key's home, the next is where it goes when the home is skipped (down, full, or already tried).
    /// </summary>
    public IEnumerable<string> Walk(string key)
    {
        if (_points.Length == 0) yield break;
        int start = Array.BinarySearch(_points, Hash(key));
        if (start < 0) start = ~start;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < _points.Length && seen.Count < Members.Count; i++)
        {
            string owner = _owners[(start + i) % _points.Length];
            if (seen.Add(owner)) yield return owner;
        }
    }

    /// <summary>A stable 64-bit position (the same on every router and every run): the first 8 bytes of SHA-256.</summary>
    static ulong Hash(string text) => BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
