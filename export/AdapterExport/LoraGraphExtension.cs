using Adapters.Core.Exported;
using Adapters.Core.Model;
using Adapters.Export.Onnx;

namespace Adapters.Export.AdapterExport;

/// <summary>
/// Low-rank projection updates as graph inputs, one per projection group
/// (<see cref="ProjectionGroup"/>: q/k/v, o, gate/up, down) holding a listed projection:
/// packed += (x·Aᵀ)·Bᵀ with A [Σr, in] and B [Σout, Σr] block diagonal
/// (<see cref="PackedLoraFactors"/>; alpha / r already folded into B). Three kernels per group
/// instead of three per projection: on a decode step they cost launches, not arithmetic.
/// <list type="bullet">
/// <item>Swappable (no slots): inputs default to rank-0 tensors, so with nothing fed the update
/// is exactly zero — the convention of ONNX Runtime's LoRA adapters and GenAI's adapters.</item>
/// <item>Batched: A [slots, members·r_max, in] and B [slots, Σout, members·r_max], gathered per
/// row by adapter_index and gated to zero for rows without an adapter.</item>
/// </list>
/// </summary>
public sealed class LoraGraphExtension : ILlamaGraphExtension
{
    readonly HashSet<(int Layer, ProjectionGroup Group)> _sites;
    readonly AdapterSlotExtension? _slots;

    /// <param name="sites">Projections that may get an update; each brings in its whole group.</param>
    public LoraGraphExtension(IEnumerable<(int Layer, string Projection)> sites, AdapterSlotExtension? slots = null)
    {
        _sites = sites.Select(s => (s.Layer, ProjectionGroup.Of(s.Projection))).ToHashSet();
        _slots = slots;
    }

    /// <summary>The inputs this extension declares (for the model manifest).</summary>
    public IEnumerable<AdapterInputSpec> Inputs(LlamaConfig model) => _sites
        .OrderBy(s => s.Layer).ThenBy(s => s.Group.Order)
        .SelectMany(site =>
        {
            (int layer, ProjectionGroup group) = site;
            int blocks = group.Members.Count;
            return new[]
            {
                new AdapterInputSpec { Name = AdapterInputNames.LoraA(layer, group), Shape = [0, group.InFeatures(model)], RankAxis = 0, RankBlocks = blocks },
                new AdapterInputSpec { Name = AdapterInputNames.LoraB(layer, group), Shape = [group.MemberOutFeatures(model).Sum(), 0], RankAxis = 1, RankBlocks = blocks },
            };
        });

    public void AddInputs(LlamaGraphContext context)
    {
        foreach (var spec in Inputs(context.Config))
        {
            if (_slots is null)
            {
                // A symbolic rank per input: ONNX Runtime must not tie adapters' ranks together.
                string rank = spec.Name + ".rank";
                var dims = spec.Shape.Select((d, i) => i == spec.RankAxis ? TensorDim.Named(rank) : TensorDim.Fixed(d)).ToArray();
                context.Graph.AddInputWithDefault(spec.Name, dims, spec.ShapeFor(0), []);
            }
            else
            {
                var shape = spec.ShapeFor(spec.RankCapacity(_slots.MaxRank));
                var dims = new[] { TensorDim.Fixed(_slots.Slots) }.Concat(shape.Select(d => TensorDim.Fixed(d))).ToArray();
                context.Graph.AddInput(spec.Name, global::Onnx.TensorProto.Types.DataType.Float, dims);
            }
        }
    }

    public string OnProjection(LlamaGraphContext context, ProjectionSite site, string input, string output)
    {
        if (!_sites.Contains((site.Layer, site.Group))) return output;
        var g = context.Graph;
        string a = AdapterInputNames.LoraA(site.Layer, site.Group), b = AdapterInputNames.LoraB(site.Layer, site.Group);
        using var _ = g.PushScope($"lora.{site.Group.Name}");
        if (_slots is null)
        {
            // ONNX Runtime fuses each Transpose into its MatMul (FusedMatMul with transB).
            string code = g.MatMul(input, g.Transpose(a, [1, 0], "a_t"), "code");                 // [B, S, Σr]
            return g.Add(output, g.MatMul(code, g.Transpose(b, [1, 0], "b_t"), "update"), "adapted"); // [B, S, Σout]
        }
        string rowA = g.Transpose(g.Gather(a, _slots.SafeIndex, 0, "row_a"), [0, 2, 1], "row_a_t"); // [B, in, cap]
        string rowB = g.Transpose(g.Gather(b, _slots.SafeIndex, 0, "row_b"), [0, 2, 1], "row_b_t"); // [B, cap, Σout]
        string update = g.MatMul(g.MatMul(input, rowA, "code"), rowB, "update");                     // [B, S, Σout]
        return g.Add(output, g.Mul(update, _slots.RowGate, "gated_update"), "adapted");
    }
}
