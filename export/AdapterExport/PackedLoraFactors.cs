using Adapters.Core.Adapters;
using Adapters.Core.Exported;
using Adapters.Core.Model;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// Per-projection LoRA factors as the graph inputs of their projection group
/// (<see cref="ProjectionGroup"/>): A [Σr, in] = the members' A stacked in member order, and
/// B [Σout, Σr] block diagonal, member i's B [out_i, r_i] at its output rows and rank columns.
/// Then (x·Aᵀ)·Bᵀ is, in each member's output slice, exactly that member's (x·A_iᵀ)·B_iᵀ.
/// A member with no factors takes rank 0 (its slice of the update is zero).
/// </summary>
public static class PackedLoraFactors
{
    /// <param name="members">projection → (A [r, in], B [out, r]), for the group's members that have an update.</param>
    public static IEnumerable<TensorData> Pack(LlamaConfig config, int layer, ProjectionGroup group,
        IReadOnlyDictionary<string, (TensorData A, TensorData B)> members)
    {
        var unknown = members.Keys.FirstOrDefault(p => !group.Members.Contains(p));
        if (unknown is not null) throw new ArgumentException($"projection '{unknown}' is not in group {group.Name} ({string.Join(", ", group.Members)})");
        int inFeatures = group.InFeatures(config);
        int[] outFeatures = group.MemberOutFeatures(config);
        int totalOut = outFeatures.Sum();
        int totalRank = members.Values.Sum(m => m.A.Shape[0]);
        var a = new float[(long)totalRank * inFeatures];
        var b = new float[(long)totalOut * totalRank];
        int rankOffset = 0, outOffset = 0;
        for (int i = 0; i < group.Members.Count; i++)
        {
            if (members.TryGetValue(group.Members[i], out var factors))
            {
                int rank = factors.A.Shape[0];
                if (!factors.A.HasShape([rank, inFeatures]) || !factors.B.HasShape([outFeatures[i], rank]))
                    throw new ArgumentException($"{LlamaTensorNames.ProjectionModule(layer, group.Members[i])}: LoRA factors {factors.A.ShapeText} and {factors.B.ShapeText}, "
                        + $"expected [r, {inFeatures}] and [{outFeatures[i]}, r]");
                Array.Copy(factors.A.Data, 0, a, (long)rankOffset * inFeatures, (long)rank * inFeatures);
                for (int o = 0; o < outFeatures[i]; o++)
                    Array.Copy(factors.B.Data, (long)o * rank, b, (long)(outOffset + o) * totalRank + rankOffset, rank);
                rankOffset += rank;
            }
            outOffset += outFeatures[i];
        }
        yield return new TensorData(AdapterInputNames.LoraA(layer, group), [totalRank, inFeatures], a);
        yield return new TensorData(AdapterInputNames.LoraB(layer, group), [totalOut, totalRank], b);
    }
}
