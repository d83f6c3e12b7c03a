using System.Text.Json.Serialization;

namespace Adapters.Core.Exported;

/// <summary>
/// One adapter graph input of an exported decoder: its name and the shape of one adapter's
/// value, where the axis <see cref="RankAxis"/> holds the adapter's rank (any size up to the
/// export's limit; 0 = absent). Batched exports stack values on a new leading slot axis and pad
/// the rank axis with zeros to <see cref="ExportedAdapterInterface.MaxRank"/>.
/// </summary>
public sealed record AdapterInputSpec
{
    [JsonPropertyName("name")] public required string Name { get; init; }
    /// <summary>Shape of one adapter's value; the entry at <see cref="RankAxis"/> is 0 (variable).</summary>
    [JsonPropertyName("shape")] public required IReadOnlyList<int> Shape { get; init; }
    [JsonPropertyName("rank_axis")] public required int RankAxis { get; init; }

    /// <summary>
    /// Ranks side by side on the rank axis (a packed projection group holds one per member), so a
    /// batched export's slot holds up to RankBlocks × <see cref="ExportedAdapterInterface.MaxRank"/>.
    /// </summary>
    [JsonPropertyName("rank_blocks")] public int RankBlocks { get; init; } = 1;

    /// <summary>The largest rank-axis size a batched export with slot rank <paramref name="maxRank"/> holds.</summary>
    public int RankCapacity(int maxRank) => RankBlocks * maxRank;

    /// <summary>The shape for rank <paramref name="rank"/>.</summary>
    public int[] ShapeFor(int rank)
    {
        var shape = Shape.ToArray();
        shape[RankAxis] = rank;
        return shape;
    }

    /// <summary>True when <paramref name="shape"/> is this input's shape for some rank; that rank is returned.</summary>
    public bool Accepts(IReadOnlyList<int> shape, out int rank)
    {
        rank = shape.Count == Shape.Count ? shape[RankAxis] : -1;
        if (rank < 0) return false;
        for (int i = 0; i < shape.Count; i++)
            if (i != RankAxis && shape[i] != Shape[i]) return false;
        return true;
    }

    public override string ToString() => $"{Name} [{string.Join(", ", Shape.Select((d, i) => i == RankAxis ? "r" : d.ToString()))}]";
}
